// Package limits keeps one player or one address from taking more than its
// share: token buckets on boxes set, caps on connections, and the identities
// they key on.
//
// Entry points:
//   - AddressKey maps a client IP to its bucket key (IPv4 /32, IPv6 /64);
//     ClientIP finds that IP from the socket or, only when trusted, from a
//     forwarding header.
//   - Buckets hands out token buckets by key (players and addresses each have
//     one Buckets) and forgets idle ones.
//   - Conns caps connections per address and in total.
//   - Identity issues and verifies HMAC-signed player cookies, so a player
//     keeps one bucket across reconnects and cannot mint a new one by opening
//     a new socket.
//
// Everything here is safe for concurrent use.
package limits

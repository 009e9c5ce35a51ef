// Package limits keeps one player or one address from taking more than its
// share: token buckets on boxes set and caps on connections.
//
// Entry points:
//   - AddressKey maps a client IP to its bucket key (IPv4 /32, IPv6 /64).
//   - Buckets hands out token buckets by key (players and addresses each have
//     one Buckets) and forgets idle ones.
//   - Conns caps connections per address and in total.
//   - CapListener caps open TCP connections per address on a listener, so
//     idle or trickling HTTP connections from one address cannot exhaust
//     the process's file descriptors.
//
// Everything here is safe for concurrent use.
package limits

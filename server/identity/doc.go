// Package identity issues and verifies the signed player cookie, so a
// player keeps one rate-limit bucket across reconnects and cannot mint a new
// one by opening a new socket.
//
// Entry points: New builds an Identity from the server's secret key;
// Issue mints a token for a new player; Verify checks one and returns the
// player ID inside it. The cookie's name is Cookie. Safe for concurrent use.
//
// LoadKey reads the key file (creating it atomically on first start) and
// refuses one of the wrong length rather than replace it, which would sign
// every player out.
package identity

// Package certs gives the public listener its TLS certificates, from one of
// two sources:
//
//   - Files: a certificate chain and key in PEM files (from certbot, a
//     corporate CA, a Kubernetes secret…). LoadFiles reads them once and
//     fails on a bad pair; Watch then reloads them when either file
//     changes (polled, so symlink swaps count) or when a signal arrives on
//     its channel (the server passes SIGHUP). A reload that fails keeps the
//     certificate in use and logs why, so a half-written renewal never
//     takes the site down.
//   - NewManager: an ACME client (golang.org/x/crypto/acme/autocert) that
//     obtains and renews certificates for a fixed list of domains by
//     itself, answering the CA's HTTP-01 challenge through its HTTPHandler
//     on port 80, with its cache (account key, certificates) in a directory
//     the caller names (the server uses <data>/acme).
//
// ServerConfig turns either source's GetCertificate into the tls.Config the
// listener uses: TLS 1.2 or later, HTTP/1.1 only (WebSockets are upgraded
// by hijacking an HTTP/1.1 connection, which HTTP/2 does not allow).
//
// Files and the Manager are safe for concurrent use: handshakes read the
// current certificate through an atomic pointer while Watch swaps it.
package certs

// Package testcert makes throwaway X.509 certificates for tests that serve
// real TLS: a CA, and leaf certificates it signs, written as the PEM files
// a server's -tls-cert and -tls-key name. Nothing here is for production.
//
// Entry points: NewCA makes a CA; CA.Leaf signs a leaf for some DNS names
// and IP addresses; Leaf.Write puts it on disk atomically (so a watching
// server never reads a half-written pair); CA.Pool trusts the CA.
package testcert

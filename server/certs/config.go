package certs

import (
	"crypto/tls"

	"golang.org/x/crypto/acme"
)

// ServerConfig returns the listener's TLS configuration around get. With
// acmeALPN set it also offers the ACME TLS-ALPN-01 protocol, which an
// autocert Manager's GetCertificate answers.
func ServerConfig(get func(*tls.ClientHelloInfo) (*tls.Certificate, error), acmeALPN bool) *tls.Config {
	c := &tls.Config{
		GetCertificate: get,
		MinVersion:     tls.VersionTLS12,
		// HTTP/1.1 only: /ws hijacks the connection, which HTTP/2 cannot.
		NextProtos: []string{"http/1.1"},
	}
	if acmeALPN {
		c.NextProtos = append(c.NextProtos, acme.ALPNProto)
	}
	return c
}

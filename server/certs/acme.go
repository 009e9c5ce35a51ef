package certs

import (
	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"
)

// ACME says where and for what an autocert Manager gets certificates.
type ACME struct {
	Domains  []string // the only names it will request certificates for
	Email    string   // the CA's contact for expiry and problems; optional
	CacheDir string   // account key and certificates, kept across restarts
	// DirectoryURL is the CA's ACME directory; empty means Let's Encrypt.
	// Set it to a staging CA, or to a private one such as Pebble.
	DirectoryURL string
}

// NewManager returns an autocert Manager for a: it accepts the CA's terms
// of service, refuses any name outside a.Domains (so a stranger's SNI
// cannot make it request certificates), and caches in a.CacheDir (created
// with mode 0700 on first use). The Manager starts renewing a certificate
// 30 days before it expires, in the background of the process.
func NewManager(a ACME) *autocert.Manager {
	m := &autocert.Manager{
		Prompt:     autocert.AcceptTOS,
		HostPolicy: autocert.HostWhitelist(a.Domains...),
		Cache:      autocert.DirCache(a.CacheDir),
		Email:      a.Email,
	}
	if a.DirectoryURL != "" {
		m.Client = &acme.Client{DirectoryURL: a.DirectoryURL}
	}
	return m
}

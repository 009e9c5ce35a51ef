package certs

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"
)

// ErrNoCertificate means a certificate file holds no usable certificate.
var ErrNoCertificate = errors.New("certs: no certificate")

// Files serves the certificate in a pair of PEM files, reloading it when
// they change. Safe for concurrent use; Watch runs on one goroutine.
type Files struct {
	certPath, keyPath string
	log               *slog.Logger
	cur               atomic.Pointer[tls.Certificate]

	// Owned by Reload's caller (LoadFiles, then Watch's goroutine).
	loaded stamp // of the files as last loaded
	failed stamp // of the files as last refused, so a bad pair is logged once
}

// stamp is what Watch compares to notice a change: size and modification
// time of both files, following symlinks (certbot and Kubernetes swap a
// symlink rather than rewrite the file).
type stamp struct {
	certSize, keySize int64
	certMod, keyMod   time.Time
}

// LoadFiles reads the certificate chain in certPath and its private key in
// keyPath, and fails if they are unreadable, do not match, or the
// certificate has expired.
func LoadFiles(certPath, keyPath string, log *slog.Logger) (*Files, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	f := &Files{certPath: certPath, keyPath: keyPath, log: log}
	if _, err := f.Reload(); err != nil {
		return nil, err
	}
	return f, nil
}

// GetCertificate returns the certificate currently loaded, for
// tls.Config.GetCertificate.
func (f *Files) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return f.cur.Load(), nil
}

// Reload reads both files and, if they make a valid pair, serves them from
// the next handshake on; otherwise it keeps what it served and returns the
// error. It reports whether the certificate changed. Not safe to call
// concurrently with itself (Watch is its only caller after LoadFiles).
func (f *Files) Reload() (changed bool, err error) {
	st, err := f.stat()
	if err != nil {
		return false, err
	}
	certPEM, err := os.ReadFile(f.certPath)
	if err != nil {
		return false, fmt.Errorf("certs: %w", err)
	}
	keyPEM, err := os.ReadFile(f.keyPath)
	if err != nil {
		return false, fmt.Errorf("certs: %w", err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return false, fmt.Errorf("certs: %s and %s: %w", f.certPath, f.keyPath, err)
	}
	if pair.Leaf == nil { // X509KeyPair fills Leaf since Go 1.23
		return false, fmt.Errorf("%w in %s", ErrNoCertificate, f.certPath)
	}
	if now := time.Now(); now.After(pair.Leaf.NotAfter) {
		return false, fmt.Errorf("certs: %s expired on %s", f.certPath, pair.Leaf.NotAfter.Format(time.RFC3339))
	}
	old := f.cur.Swap(&pair)
	f.loaded = st
	changed = old == nil || !old.Leaf.Equal(pair.Leaf)
	if changed {
		f.log.Info("tls certificate loaded", "file", f.certPath, "subject", pair.Leaf.Subject.String(),
			"names", pair.Leaf.DNSNames, "serial", pair.Leaf.SerialNumber.String(), "expires", pair.Leaf.NotAfter.Format(time.RFC3339))
	}
	return changed, nil
}

func (f *Files) stat() (stamp, error) {
	c, err := os.Stat(f.certPath)
	if err != nil {
		return stamp{}, fmt.Errorf("certs: %w", err)
	}
	k, err := os.Stat(f.keyPath)
	if err != nil {
		return stamp{}, fmt.Errorf("certs: %w", err)
	}
	return stamp{certSize: c.Size(), keySize: k.Size(), certMod: c.ModTime(), keyMod: k.ModTime()}, nil
}

// Watch reloads the files whenever their size or modification time
// changes (checked every poll) and whenever hup receives, until ctx ends.
// Failures are logged and leave the served certificate as it was; a pair
// that keeps failing is logged once per change of the files.
func (f *Files) Watch(ctx context.Context, poll time.Duration, hup <-chan os.Signal) {
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		forced := false
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-hup:
			forced = true
		}
		st, err := f.stat()
		if err == nil && !forced && (st == f.loaded || st == f.failed) {
			continue
		}
		if _, err = f.Reload(); err != nil {
			if forced || st != f.failed {
				f.log.Error("tls certificate reload failed; still serving the previous one", "err", err)
			}
			f.failed = st
		}
	}
}

package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"

	"checkgrid/server/certs"
	"checkgrid/server/limits"
	"checkgrid/server/metrics"
	"checkgrid/server/wsconn"

	"golang.org/x/crypto/acme/autocert"
)

// acmeCacheDir is where autocert keeps its account key and certificates,
// inside the data directory so they survive restarts and upgrades with it.
const acmeCacheDir = "acme"

// listeners are the sockets the server accepts on, opened before serving
// so that a port in use fails the start, not a goroutine.
type listeners struct {
	public     net.Listener // the page, API and /ws; TLS if configured
	publicPort string
	redirect   net.Listener      // plain HTTP to HTTPS (and ACME challenges); nil if off
	admin      net.Listener      // /metrics and pprof; nil if off
	certs      *certs.Files      // certificate files to watch; nil unless -tls-cert
	acme       *autocert.Manager // nil unless -tls-domain
}

// served pairs a listener with its server.
type served struct {
	ln  net.Listener
	srv *http.Server
}

// openListeners opens every listener cfg asks for, wrapping the public and
// redirect ones in the per-address connection cap (unless behind a proxy,
// where every connection comes from the proxy's address) and the public one
// in TLS. On error nothing stays open.
func openListeners(ctx context.Context, cfg config, m *metrics.Metrics, logger *slog.Logger) (l listeners, err error) {
	defer func() {
		if err != nil {
			l.close()
		}
	}()
	var tlsCfg *tls.Config
	switch {
	case cfg.tlsCert != "":
		if l.certs, err = certs.LoadFiles(cfg.tlsCert, cfg.tlsKey, logger); err != nil {
			return l, err
		}
		tlsCfg = certs.ServerConfig(l.certs.GetCertificate, false)
	case cfg.tlsDomains != "":
		l.acme = certs.NewManager(certs.ACME{
			Domains: cfg.domains(), Email: cfg.tlsEmail, DirectoryURL: cfg.acmeDirectory,
			CacheDir: filepath.Join(cfg.data, acmeCacheDir),
		})
		tlsCfg = certs.ServerConfig(l.acme.GetCertificate, true)
	}
	capped := func(ln net.Listener) net.Listener {
		if cfg.trustProxy || cfg.maxHTTPPerAddr < 0 {
			return ln
		}
		refused := m.Refused.WithLabelValues("http_address_cap")
		return limits.CapListener(ln, cfg.maxHTTPPerAddr, refused.Inc)
	}
	ln, err := listen(ctx, cfg.addr, cfg.sndbuf)
	if err != nil {
		return l, fmt.Errorf("listen %s: %w", cfg.addr, err)
	}
	_, l.publicPort, _ = net.SplitHostPort(ln.Addr().String())
	l.public = capped(ln)
	if tlsCfg != nil {
		l.public = wsconn.TLSListener(l.public, tlsCfg)
	}
	if cfg.httpAddr != "" {
		ln, err := net.Listen("tcp", cfg.httpAddr)
		if err != nil {
			return l, fmt.Errorf("listen -http-addr %s: %w", cfg.httpAddr, err)
		}
		l.redirect = capped(ln)
	}
	if cfg.admin != "" {
		if l.admin, err = net.Listen("tcp", cfg.admin); err != nil {
			return l, fmt.Errorf("listen admin %s: %w", cfg.admin, err)
		}
	}
	return l, nil
}

func (l listeners) close() {
	for _, ln := range []net.Listener{l.public, l.redirect, l.admin} {
		if ln != nil {
			ln.Close()
		}
	}
}

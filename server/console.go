package main

import (
	"log/slog"
	"net"
	"net/http"
	"path/filepath"

	"checkgrid/server/admin"
	"checkgrid/server/metrics"
	"checkgrid/server/web"
)

// adminHandler is everything the admin listener at addr serves: /metrics
// and pprof (web.Admin), the operator API (admin.New, /api/admin/) and
// the game itself (game: the public handler, page, assets, /ws and the
// public API), all behind the Host check. The game is served here so the
// console (the client opened with #admin=<token>) calls the API from its
// own origin: no cross-origin request, no CORS to open, and the public
// listener never answers /api/admin/. The token comes from -admin-token or
// <data>/admin.token; the audit log is <data>/audit.log. close releases
// the audit log.
func adminHandler(cfg config, addr net.Addr, be backend, m *metrics.Metrics, game http.Handler, logger *slog.Logger) (h http.Handler, close func(), err error) {
	var tok admin.Token
	if cfg.adminToken != "" {
		tok, err = admin.NewToken(cfg.adminToken)
	} else {
		tok, err = admin.LoadToken(filepath.Join(cfg.data, admin.TokenFile))
	}
	if err != nil {
		return nil, nil, err
	}
	audit, err := admin.OpenAudit(filepath.Join(cfg.data, admin.AuditFile))
	if err != nil {
		return nil, nil, err
	}
	api := admin.New(admin.Config{Token: tok, Hub: be.operator, History: be.past, Rules: be.rules, Board: be.board, Bots: be.bots, Tally: be.tally, TopNode: be.topScope, Audit: audit, Logger: logger, Metrics: m, Rate: cfg.adminRate, Data: cfg.data})
	mux := http.NewServeMux()
	mux.Handle("/api/admin/", api)
	ops := web.Admin(m)
	mux.Handle("/metrics", ops)
	mux.Handle("/debug/pprof/", ops)
	mux.Handle("/", game)
	close = func() {
		if err := audit.Close(); err != nil {
			logger.Error("closing audit log", "err", err)
		}
	}
	return admin.CheckHost(admin.NewHosts(addr, splitList(cfg.adminHosts)), mux), close, nil
}

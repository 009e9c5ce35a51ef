package main

import (
	"context"
	"errors"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"checkgrid"
	"checkgrid/server/admin"
	"checkgrid/server/announce"
	"checkgrid/server/bots"
	"checkgrid/server/history"
	"checkgrid/server/hub"
	"checkgrid/server/identity"
	"checkgrid/server/limits"
	"checkgrid/server/metrics"
	"checkgrid/server/moderation"
	"checkgrid/server/pipeline"
	"checkgrid/server/store"
	"checkgrid/server/tally"
	"checkgrid/server/web"
	"checkgrid/server/wsconn"
)

// Shutdown budgets: long enough to flush a tick and write a checkpoint,
// short enough that an orchestrator's kill grace period is not exceeded.
const (
	shutdownHTTP    = 5 * time.Second
	shutdownClients = 10 * time.Second
	identityKeyFile = "identity.key"
)

// run serves until ctx ends, then shuts down gracefully.
func run(ctx context.Context, cfg config, logw io.Writer, hup <-chan os.Signal) error {
	logger := slog.New(slog.NewTextHandler(logw, nil))
	m := metrics.New()
	open := openLocal
	if len(cfg.natsURLs()) > 0 {
		open = openCluster // cluster mode: clustered.go
	}
	be, err := open(ctx, cfg, m, logger)
	if err != nil {
		return err
	}
	defer be.close()
	if err := m.Register(hubGauges(be.hub)...); err != nil {
		return err
	}
	poller, err := wsconn.NewPoller()
	if err != nil {
		return err
	}
	defer poller.Close() // after serve has waited for the clients
	if be.sequencer != nil {
		// The clicks waiting in parked sockets are read right before each
		// cut, so each makes the tick it came before (wsconn, poller.go).
		be.sequencer.BeforeCut(poller.ReadNow)
	}
	handler, err := publicHandler(cfg, be, poller, m, logger)
	if err != nil {
		return err
	}
	l, err := openListeners(ctx, cfg, m, logger)
	if err != nil {
		return err
	}
	servers := []served{{l.public, cfg.timeouts.Server(handler, logger)}}
	if l.redirect != nil {
		redirect := web.RedirectHTTPS(l.publicPort)
		if l.acme != nil {
			redirect = l.acme.HTTPHandler(redirect) // answers /.well-known/acme-challenge/
		}
		servers = append(servers, served{l.redirect, cfg.timeouts.Server(redirect, logger)})
	}
	if l.admin != nil {
		ah, closeAudit, err := adminHandler(cfg, l.admin.Addr(), be, m, handler, logger)
		if err != nil {
			l.close()
			return err
		}
		defer closeAudit()
		servers = append(servers, served{l.admin, cfg.timeouts.Server(ah, logger)})
		// pprof's profile and trace stream for as long as asked (30 s by
		// default); the admin listener is loopback, so no write timeout.
		servers[len(servers)-1].srv.WriteTimeout = 0
	}
	return serve(ctx, cfg, be, l, servers, hup, logger)
}

// publicHandler is the public listener's handler: page, assets, /ws, API.
func publicHandler(cfg config, be backend, poller *wsconn.Poller, m *metrics.Metrics, logger *slog.Logger) (http.Handler, error) {
	static, err := web.NewStatic(checkgrid.Files())
	if err != nil {
		return nil, err
	}
	if !static.Has("assets/checkgrid.wasm") {
		logger.Warn("assets/checkgrid.wasm is not embedded: run `make wasm` before building the server to serve the client")
	}
	if err := static.Stamp("index.html", versionPlaceholder, html.EscapeString(version())); err != nil {
		return nil, err
	}
	return web.New(web.Config{
		Static: static, Hub: be.hub, Identity: identity.New(be.key),
		Conns: limits.NewConns(cfg.maxConnsPerAddr, cfg.maxConns), Metrics: m, Logger: logger,
		TrustProxy: cfg.trustProxy, Origins: cfg.originList(), Poller: poller, MetricsOnMain: cfg.metricsOnMain,
		Version: version(), JoinRate: limits.Rate{Per: cfg.joinRate, Burst: cfg.joinBurst}, Storage: be.storage,
		History: be.history, Bots: be.bots,
	}), nil
}

// serve runs the sequencer (single process), the hub and the servers
// until ctx ends or one of them fails, then shuts down in order: stop
// accepting; the sequencer commits what players set and checkpoints; the
// hub publishes that and closes every client with 1001; the cluster node
// gives up its lease last.
func serve(ctx context.Context, cfg config, be backend, l listeners, servers []served, hup <-chan os.Signal, logger *slog.Logger) error {
	h := be.hub
	hubCtx, stopHub := context.WithCancel(context.Background())
	defer stopHub()
	seqCtx, stopSeq := context.WithCancel(context.Background())
	defer stopSeq()
	seqDone := make(chan struct{})
	var wg sync.WaitGroup
	errc := make(chan error, 2+len(servers))
	wg.Add(2)
	go func() {
		defer wg.Done()
		defer close(seqDone)
		if be.sequencer != nil { // nil in cluster mode: the lease holder sequences inside the node
			errc <- be.sequencer.Run(seqCtx, h)
		}
	}()
	go func() {
		defer wg.Done()
		errc <- h.Run(hubCtx)
	}()
	select { // nobody is told the server listens before it holds the grid
	case <-h.Ready():
	case <-ctx.Done():
	}
	if l.certs != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.certs.Watch(hubCtx, cfg.tlsPoll, hup)
		}()
	}
	for _, s := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.srv.Serve(s.ln); !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		}()
	}
	if l.admin != nil {
		logger.Info("admin listening", "addr", l.admin.Addr().String())
	}
	if l.redirect != nil {
		logger.Info("redirecting to https", "addr", l.redirect.Addr().String(), "acme", l.acme != nil)
	}
	logger.Info("listening", append([]any{"addr", l.public.Addr().String(), "tls", cfg.tls(), "version", version(),
		"tick", cfg.tick}, be.logAttrs...)...)

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	}
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownHTTP)
	defer cancel()
	for _, s := range servers {
		_ = s.srv.Shutdown(sctx) // stops new connections; hijacked WebSockets are the hub's
	}
	stopSeq() // commit the last tick and checkpoint ...
	<-seqDone
	stopHub()       // ... publish it, close every client with 1001
	defer be.stop() // after the hub: a sequencer's node gives up its lease last
	waitClients(h, logger)
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil && runErr == nil {
			runErr = err
		}
	}
	return runErr
}

// waitClients waits, within shutdownClients, for the hub to have closed
// every connection.
func waitClients(h *hub.Hub, logger *slog.Logger) {
	done := make(chan struct{})
	go func() {
		h.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(shutdownClients):
		logger.Warn("connections still open after shutdown budget")
	}
}

// backend is what the hub stands on: the local log, or the cluster.
type backend struct {
	hub *hub.Hub
	// sequencer is the single process's: it commits every Delta to the
	// local log, and the hub follows it. nil in cluster mode, where the
	// node is the hub's upstream.
	sequencer *pipeline.Sequencer
	operator  admin.Hub                  // the operator's changes (server/admin)
	key       []byte                     // signs player cookies
	storage   interface{ Check() error } // for /healthz besides the hub's own state; may be nil
	history   http.Handler               // the history API (the data directory's, or the cluster's stream)
	past      admin.History              // the same history for rollbacks (the cluster's stream in cluster mode)
	rules     *moderation.Rules          // freezes and bans the hub obeys (in cluster mode, the cluster's)
	board     *announce.Board            // the announcement (in cluster mode, the cluster's)
	bots      *bots.Registry             // bot tokens (in cluster mode, the cluster's)
	tally     *tally.Tally               // the operator's top lists (in cluster mode, this node's)
	topScope  string                     // in cluster mode, the node's name: the top lists are its own
	logAttrs  []any                      // for the listening line
	stop      func()                     // after the hub has stopped
	close     func()                     // on return from run
}

// hubConfig is the hub's part of the flags, the same in both modes.
func hubConfig(cfg config) hub.Config {
	return hub.Config{
		Tick: cfg.tick, MaxTick: cfg.maxTick, WriteBudget: cfg.writeBudget, OutboxFrames: cfg.outbox, MaxSetBoxes: cfg.maxSetBoxes, WriteTimeout: cfg.writeTimeout,
		PlayerRate:      limits.Rate{Per: cfg.rate, Burst: cfg.burst},
		AddressRate:     limits.Rate{Per: cfg.addrRate, Burst: cfg.addrBurst},
		MessageRate:     limits.Rate{Per: cfg.msgRate, Burst: cfg.msgBurst},
		MaxConnsPerAddr: cfg.maxConnsPerAddr,
		PaceTicks:       cfg.paceTicks,
	}
}

// openLocal recovers the grid from the data directory's log and builds
// the single process: a Sequencer that commits every Delta to that log,
// and a hub that follows it.
func openLocal(_ context.Context, cfg config, m *metrics.Metrics, logger *slog.Logger) (backend, error) {
	syncMode, _ := cfg.sync()
	st, state, err := store.Open(cfg.data, store.Options{
		Sync: syncMode, SyncInterval: cfg.syncInterval, Logger: logger, SlowSync: cfg.slowFsync,
		HistoryMaxBytes: cfg.historyMaxBytes, HistoryMaxAge: cfg.historyMaxAge,
	})
	if err != nil {
		return backend{}, err
	}
	closeStore := func() {
		if err := st.Close(); err != nil {
			logger.Error("closing store", "err", err)
		}
	}
	logger.Info("recovered", "dir", cfg.data, "epoch", state.Epoch, "seq", state.Seq, "toggles", state.Toggles, "checked", state.Grid.Count())
	key, err := identity.LoadKey(filepath.Join(cfg.data, identityKeyFile))
	if err != nil {
		closeStore()
		return backend{}, err
	}
	probe := store.NewProbe(cfg.data)
	if err := probe.Err(); err != nil {
		logger.Error("storage failing at start: /healthz reports 503 until the data directory takes a write", "err", err)
	}
	rules, err := moderation.Open(cfg.data)
	if err != nil {
		closeStore()
		return backend{}, err
	}
	botReg, err := bots.Open(cfg.data)
	if err != nil {
		closeStore()
		return backend{}, err
	}
	if err := m.Register(metrics.Disk(cfg.data)...); err != nil {
		closeStore()
		return backend{}, err
	}
	seq := pipeline.New(pipeline.Config{Tick: cfg.tick, CheckpointOnStop: true}, &state.Grid, state.Toggles, &durable{s: st}, state.Epoch, state.Seq, m, logger)
	hc := hubConfig(cfg)
	hc.Gate = rules
	tl := tally.New(0)
	hc.Tally = tl
	h := hub.New(hc, seq, state.Epoch, m, logger)
	board, err := announce.Open(cfg.data, h)
	if err != nil {
		closeStore()
		return backend{}, err
	}
	past := store.NewHistory(cfg.data, st.Head)
	hist := history.NewHandler(past, history.Limits{MaxBytes: cfg.historyMaxBytes, MaxAge: cfg.historyMaxAge}, logger)
	return backend{hub: h, sequencer: seq, operator: seq, key: key, storage: probe, history: hist, past: past, rules: rules, board: board, bots: botReg, tally: tl, logAttrs: []any{"data", cfg.data, "sync", syncMode.String()},
		stop: func() {}, close: closeStore}, nil
}

// listen opens the public listener. Accepted sockets inherit its send
// buffer size: without a cap, Linux autotunes each up to megabytes, so a
// stalled client could pin that much kernel memory before its outbox even
// fills and the hub notices.
func listen(ctx context.Context, addr string, sndbuf int) (net.Listener, error) {
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		if sndbuf <= 0 {
			return nil
		}
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF, sndbuf)
		})
		return errors.Join(err, serr)
	}}
	return lc.Listen(ctx, "tcp", addr)
}

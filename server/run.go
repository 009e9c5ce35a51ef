package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
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
	"checkgrid/server/grid"
	"checkgrid/server/hub"
	"checkgrid/server/identity"
	"checkgrid/server/limits"
	"checkgrid/server/metrics"
	"checkgrid/server/store"
	"checkgrid/server/web"
)

// Shutdown budgets: long enough to flush a tick and write a checkpoint,
// short enough that an orchestrator's kill grace period is not exceeded.
const (
	shutdownHTTP    = 5 * time.Second
	shutdownClients = 10 * time.Second
	identityKeyFile = "identity.key"
	identityKeySize = 32
)

// run serves until ctx ends, then shuts down gracefully.
func run(ctx context.Context, cfg config, logw io.Writer) error {
	logger := slog.New(slog.NewTextHandler(logw, nil))
	syncMode, _ := cfg.sync()
	m := metrics.New()
	st, state, err := store.Open(cfg.data, store.Options{
		Sync: syncMode, SyncInterval: cfg.syncInterval, Logger: logger,
	})
	if err != nil {
		return err
	}
	defer func() {
		if err := st.Close(); err != nil {
			logger.Error("closing store", "err", err)
		}
	}()
	logger.Info("recovered", "dir", cfg.data, "epoch", state.Epoch, "seq", state.Seq, "toggles", state.Toggles, "checked", state.Grid.Count())
	key, err := identityKey(cfg.data)
	if err != nil {
		return err
	}
	static, err := web.NewStatic(checkgrid.Files())
	if err != nil {
		return err
	}
	if !static.Has("assets/checkgrid.wasm") {
		logger.Warn("assets/checkgrid.wasm is not embedded: run `make wasm` before building the server to serve the client")
	}

	g := grid.FromBitset(&state.Grid, state.Toggles)
	h := hub.New(hub.Config{
		Tick: cfg.tick, MaxTick: cfg.maxTick, WriteBudget: cfg.writeBudget, OutboxFrames: cfg.outbox, MaxSetBoxes: cfg.maxSetBoxes, WriteTimeout: cfg.writeTimeout,
		PlayerRate:       limits.Rate{Per: cfg.rate, Burst: cfg.burst},
		AddressRate:      limits.Rate{Per: cfg.addrRate, Burst: cfg.addrBurst},
		CheckpointOnStop: true,
	}, g, &durable{s: st}, state.Epoch, state.Seq, m, logger)

	handler := web.New(web.Config{
		Static: static, Hub: h, Identity: identity.New(key),
		Conns: limits.NewConns(cfg.maxConnsPerAddr, cfg.maxConns), Metrics: m, Logger: logger,
		TrustProxy: cfg.trustProxy, Origins: cfg.originList(), MetricsOnMain: cfg.metricsOnMain,
	})
	ln, err := listen(ctx, cfg.addr, cfg.sndbuf)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.addr, err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	var admin *http.Server
	var adminLn net.Listener
	if cfg.admin != "" {
		if adminLn, err = net.Listen("tcp", cfg.admin); err != nil {
			ln.Close()
			return fmt.Errorf("listen admin %s: %w", cfg.admin, err)
		}
		admin = &http.Server{Handler: web.Admin(m), ReadHeaderTimeout: 10 * time.Second}
	}

	hubCtx, stopHub := context.WithCancel(context.Background())
	defer stopHub()
	var wg sync.WaitGroup
	errc := make(chan error, 3)
	wg.Add(1)
	go func() {
		defer wg.Done()
		errc <- h.Run(hubCtx)
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			errc <- err
		}
	}()
	if admin != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := admin.Serve(adminLn); !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		}()
		logger.Info("admin listening", "addr", adminLn.Addr().String())
	}
	logger.Info("listening", "addr", ln.Addr().String(), "data", cfg.data, "sync", syncMode.String(), "tick", cfg.tick)

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	}
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownHTTP)
	defer cancel()
	_ = srv.Shutdown(sctx) // stops new connections; hijacked WebSockets are the hub's
	if admin != nil {
		_ = admin.Shutdown(sctx)
	}
	stopHub() // flush the last tick, checkpoint, close every client with 1001
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
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil && runErr == nil {
			runErr = err
		}
	}
	return runErr
}

// identityKey loads the key that signs player cookies, creating it on first
// start; it lives with the data so players keep their IDs across restarts.
func identityKey(dir string) ([]byte, error) {
	path := filepath.Join(dir, identityKeyFile)
	key, err := os.ReadFile(path)
	if err == nil && len(key) == identityKeySize {
		return key, nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("identity key: %w", err)
	}
	key = make([]byte, identityKeySize)
	_, _ = rand.Read(key)
	if err := os.WriteFile(path, key, 0o600); err != nil {
		return nil, fmt.Errorf("identity key: %w", err)
	}
	return key, nil
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

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// Health checking: a backend is used only while its last /healthz (every
// checkEvery, each within checkTimeout) answered 200 or 503 (503 is a node
// that refuses Sets for now but serves reads).
const (
	checkEvery   = 500 * time.Millisecond
	checkTimeout = 400 * time.Millisecond
)

type backend struct {
	url   *url.URL
	proxy *httputil.ReverseProxy
	up    atomic.Bool
	open  atomic.Int64
}

func main() {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], logger); err != nil {
		fmt.Fprintln(os.Stderr, "lb:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, logger *slog.Logger) error {
	fs := flag.NewFlagSet("lb", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "listen address")
	list := fs.String("backends", "", "comma-separated host:port of the nodes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var bs []*backend
	for _, b := range strings.Split(*list, ",") {
		if b = strings.TrimSpace(b); b == "" {
			continue
		}
		u := &url.URL{Scheme: "http", Host: b}
		be := &backend{url: u}
		be.proxy = &httputil.ReverseProxy{
			Rewrite: func(r *httputil.ProxyRequest) {
				r.SetURL(u)
				r.SetXForwarded()
				r.Out.Host = r.In.Host // the node checks WebSocket origins against the host players used
			},
			ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		}
		bs = append(bs, be)
	}
	if len(bs) == 0 {
		return errors.New("no -backends")
	}
	for _, b := range bs {
		go b.check(ctx)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := pick(bs)
		if b == nil {
			http.Error(w, "no node is up", http.StatusServiceUnavailable)
			return
		}
		b.open.Add(1)
		defer b.open.Add(-1)
		b.proxy.ServeHTTP(w, r)
	}), ReadHeaderTimeout: 10 * time.Second}
	logger.Info("listening", "addr", ln.Addr().String(), "backends", *list)
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// pick is the live backend with the fewest open requests (WebSockets stay
// open, so this spreads players).
func pick(bs []*backend) *backend {
	var best *backend
	for _, b := range bs {
		if b.up.Load() && (best == nil || b.open.Load() < best.open.Load()) {
			best = b
		}
	}
	return best
}

func (b *backend) check(ctx context.Context) {
	c := &http.Client{Timeout: checkTimeout}
	t := time.NewTicker(checkEvery)
	defer t.Stop()
	for {
		resp, err := c.Get(b.url.String() + "/healthz")
		ok := err == nil && (resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusServiceUnavailable)
		if err == nil {
			resp.Body.Close()
		}
		b.up.Store(ok)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

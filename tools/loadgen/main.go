package main

import (
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == rawSendArg {
		if err := rawSendMain(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "rawsend:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run wires one invocation: flags, file limit, the server (spawned or
// found), the runs, the report.
func run(ctx context.Context, args []string, out, progressW io.Writer) error {
	cfg, err := parseConfig(args, progressW)
	if err != nil {
		return err
	}
	var progress io.Writer
	if !cfg.quiet {
		progress = progressW
	}
	conns := max(cfg.players(), cfg.rawConns)
	if cfg.mode != ModeWS {
		conns = max(conns, cfg.rawConns) // rawtcp's receivers; its sender is another process
	}
	limit, err := raiseNoFile(uint64(conns*fdsPerConn + fdSlack))
	if err != nil {
		return err
	}
	// Without CAP_SYS_RESOURCE the hard limit stands; it bounds this
	// process and a spawned server (which inherits it) alike.
	fdCap := int(limit) - fdSlack
	if cfg.mode != ModeRaw && cfg.players()*fdsPerConn > fdCap {
		return fmt.Errorf("%w: %d players need %d open files here and in the server; the limit is %d (hard; raising it needs CAP_SYS_RESOURCE)",
			ErrArgs, cfg.players(), cfg.players()*fdsPerConn+fdSlack, limit)
	}

	var ws *wsResult
	if cfg.mode != ModeRaw {
		url, pid, desc := cfg.url, cfg.pid, ""
		roots, err := loadCA(cfg.caFile)
		if err != nil {
			return err
		}
		var srv *spawned
		if cfg.spawn != "" {
			if srv, err = spawnServer(cfg.spawn, cfg.tick, cfg.tls, cfg.serverArgs); err != nil {
				return err
			}
			defer srv.stop(context.Background())
			scheme := "ws://"
			if cfg.tls {
				scheme = "wss://"
			}
			url, pid, roots = scheme+srv.addr+"/ws", srv.pid(), srv.roots
			cfg.admin = srv.admin
			desc = fmt.Sprintf("spawned %s -tick %v %s (pprof: http://%s/debug/pprof/, log %s)", cfg.spawn, cfg.tick, strings.Join(cfg.serverArgs, " "), srv.admin, srv.logPath)
		} else if pid == 0 {
			hp, _ := checkURL(url)
			_, port, _ := net.SplitHostPort(hp)
			p, _ := strconv.Atoi(port)
			if pid, err = pidListening(p); err != nil && progress != nil {
				fmt.Fprintf(progress, "loadgen: no server CPU/RSS: %v\n", err)
			}
		}
		if desc == "" {
			desc = fmt.Sprintf("%s (pid %d)", url, pid)
		}
		r, err := runWS(ctx, cfg, url, roots, pid, progress)
		if err != nil {
			return err
		}
		ws = &r
		writeWS(out, r, desc)
		if srv != nil {
			if err := srv.stop(ctx); err != nil {
				fmt.Fprintf(out, "server stop: %v\n", err)
			}
		}
	}
	var raw *rawResult
	if cfg.mode != ModeWS {
		n, frame := cfg.rawConns, cfg.rawFrame
		if n == 0 {
			n = cfg.players()
		}
		if n*fdsPerConn > fdCap {
			n = fdCap / fdsPerConn
			if progress != nil {
				fmt.Fprintf(progress, "rawtcp: %d sockets (open-file limit %d)\n", n, limit)
			}
		}
		if frame == 0 {
			frame = 64
			if ws != nil && ws.meanDelta > 0 {
				frame = wireSize(int(math.Round(ws.meanDelta)))
			}
		}
		r, err := runRaw(ctx, cfg, n, frame, progress)
		if err != nil {
			return err
		}
		raw = &r
		writeRaw(out, r)
	}
	writeSummary(out, ws, raw)
	return nil
}

// loadCA reads -ca's PEM file; "" is no file (the system's roots).
func loadCA(path string) (*x509.CertPool, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: -ca: %v", ErrArgs, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("%w: -ca %s: no PEM certificate in it", ErrArgs, path)
	}
	return pool, nil
}

// Command server is the checkgrid server: one process that holds the grid,
// serves the page and the wasm client, and fans every change out to every
// player. See doc.go for the flags.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"checkgrid/server/admin"
	"checkgrid/server/history"
)

// gcPercent is the server's GOGC unless the environment sets one.
const gcPercent = 50

func main() {
	if len(os.Args) > 1 && os.Args[1] == "history" {
		os.Exit(history.Main(os.Args[2:], os.Stdout, os.Stderr))
	}
	if len(os.Args) > 1 && os.Args[1] == "admin" {
		os.Exit(admin.Main(os.Args[2:], os.Getenv, os.Stdout, os.Stderr))
	}
	cfg, err := parseConfig(os.Args[1:], os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "checkgrid:", err)
		os.Exit(2)
	}
	if cfg.showVersion {
		fmt.Println(versionLine())
		return
	}
	if os.Getenv("GOGC") == "" {
		// The live heap is mostly idle connections, and little is
		// allocated per frame (broadcasts are shared bytes): half the
		// default GC headroom saves about 1.5 KB of RSS per connection
		// for a few more, cheap, collections (BENCHMARKS.md, memory).
		debug.SetGCPercent(gcPercent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	// SIGHUP reloads -tls-cert and -tls-key (and nothing else).
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	if err := run(ctx, cfg, os.Stderr, hup); err != nil {
		fmt.Fprintln(os.Stderr, "checkgrid:", err)
		os.Exit(1)
	}
}

// Command server is the checkgrid server: one process that holds the grid,
// serves the page and the wasm client, and fans every change out to every
// player. See doc.go for the flags.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	cfg, err := parseConfig(os.Args[1:], os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "checkgrid:", err)
		os.Exit(2)
	}
	if cfg.showVersion {
		fmt.Println(versionLine())
		return
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

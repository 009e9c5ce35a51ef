package main

import (
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"checkgrid/tools/jsserver"
)

func main() {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(os.Args[1:], logger); err != nil {
		fmt.Fprintln(os.Stderr, "natsd:", err)
		os.Exit(1)
	}
}

func run(args []string, logger *slog.Logger) error {
	fs := flag.NewFlagSet("natsd", flag.ContinueOnError)
	name := fs.String("name", "n1", "server name, unique in the cluster")
	dir := fs.String("dir", "./nats", "JetStream store directory")
	addr := fs.String("addr", "127.0.0.1:4222", "client listen address (port 0: pick one)")
	cluster := fs.String("cluster", "", "cluster listen address (empty: a single server)")
	routes := fs.String("routes", "", "comma-separated cluster addresses of every peer")
	verbose := fs.Bool("v", false, "the server's own log on stderr")
	if err := fs.Parse(args); err != nil {
		return err
	}
	o := jsserver.Options{Name: *name, Dir: *dir, Log: *verbose}
	host, port, err := hostPort(*addr)
	if err != nil {
		return fmt.Errorf("-addr: %w", err)
	}
	o.Host, o.Port = host, port
	if *cluster != "" {
		if _, o.ClusterPort, err = hostPort(*cluster); err != nil {
			return fmt.Errorf("-cluster: %w", err)
		}
		for _, r := range strings.Split(*routes, ",") {
			if r = strings.TrimSpace(r); r != "" {
				o.Routes = append(o.Routes, r)
			}
		}
	}
	s, err := jsserver.Start(o)
	if err != nil {
		return err
	}
	logger.Info("listening", "addr", net.JoinHostPort(s.Opts.Host, strconv.Itoa(s.Opts.Port)), "name", *name, "dir", *dir)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	logger.Info("shutting down")
	s.Stop()
	return nil
}

func hostPort(a string) (string, int, error) {
	h, p, err := net.SplitHostPort(a)
	if err != nil {
		return "", 0, err
	}
	n, err := strconv.Atoi(p)
	return h, n, err
}

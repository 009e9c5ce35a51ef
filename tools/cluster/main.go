package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"checkgrid/tools/clusterproc"
	"checkgrid/tools/serverproc"
)

const stopGrace = 10 * time.Second

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "cluster:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:8080", "the load balancer's address: open http://ADDR/")
	nodes := flag.Int("nodes", 3, "checkgrid nodes")
	keep := flag.Bool("keep", false, "keep the data directory (printed) after stopping")
	verbose := flag.Bool("v", false, "print every process's log")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	dir, err := os.MkdirTemp("", "checkgrid-cluster-")
	if err != nil {
		return err
	}
	if !*keep {
		defer os.RemoveAll(dir)
	}
	var logw io.Writer = io.Discard
	if *verbose {
		logw = &lockedWriter{w: os.Stderr}
	}
	fmt.Println("building into", dir)
	bins, err := clusterproc.Build(dir)
	if err != nil {
		return err
	}
	natsc, err := clusterproc.StartNATS(bins.NATS, filepath.Join(dir, "nats"), 3, logw)
	if err != nil {
		return err
	}
	defer natsc.StopAll()
	for i := range natsc.Plan {
		fmt.Printf("JetStream %s  %s  pid %d\n", natsc.Plan[i].Name, natsc.URL(i), natsc.Proc(i).Pid())
	}
	var procs []*serverproc.Proc
	defer func() {
		for _, p := range procs {
			_ = p.Stop(stopGrace)
		}
	}()
	var backends []string
	for i := range *nodes {
		name := "node" + strconv.Itoa(i+1)
		data := filepath.Join(dir, name)
		if err := os.MkdirAll(data, 0o755); err != nil {
			return err
		}
		p, err := clusterproc.StartNode(bins.Server, name, data, natsc.URLs(), logw, "-trust-proxy")
		if err != nil {
			return err
		}
		procs = append(procs, p)
		backends = append(backends, p.Addr)
		fmt.Printf("node %s  http://%s  metrics http://%s/metrics  pid %d\n", name, p.Addr, p.Admin, p.Pid())
	}
	lb, err := clusterproc.StartLB(bins.LB, *addr, backends, logw)
	if err != nil {
		return err
	}
	defer func() { _ = lb.Stop(stopGrace) }()
	fmt.Printf("\nopen http://%s/   (Ctrl-C stops everything)\n", lb.Addr)
	<-ctx.Done()
	fmt.Println("\nstopping")
	return nil
}

// lockedWriter serialises lines from several processes' log readers.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
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
	keep := flag.Bool("keep", false, "keep the temporary data directory (printed) after stopping")
	data := flag.String("data", "", "keep the grid in this directory (created if missing; reused next time) instead of an empty one in a temporary directory")
	verbose := flag.Bool("v", false, "print every process's log")
	flag.Parse()
	// Before anything starts: a busy port is named, not a timeout later.
	if err := free(*addr); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	// Ctrl-C reaches this process group alone, not make's: everything is
	// stopped in order and make exits 0 with it.
	restore := foreground()
	defer restore()

	dir := *data
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "checkgrid-cluster-"); err != nil {
			return err
		}
		if *keep {
			fmt.Println("an empty grid in", dir, "(kept after stopping: -keep)")
		} else {
			fmt.Println("an empty grid in", dir, "(removed after stopping; -data DIR keeps a grid across runs)")
			defer os.RemoveAll(dir)
		}
	} else {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		fmt.Println("the grid in", dir, "(kept)")
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
	fmt.Println("\nstopping: nodes, load balancer, JetStream servers")
	return nil
}

// free reports a clear error if addr cannot be listened on.
func free(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s (%w): is another `make cluster` or `make run` using it? Pick another: make cluster CLUSTER_ADDR=127.0.0.1:8090", addr, err)
	}
	return l.Close()
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

package clusterproc

import (
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"checkgrid/tools/jsserver"
	"checkgrid/tools/serverproc"
)

// Timeouts. A JetStream server starts in well under a second; a node waits
// for the cluster's meta leader and catches its replica up first.
const (
	natsStart = 30 * time.Second
	nodeStart = 60 * time.Second
	stopGrace = 10 * time.Second
)

// Bins are the built programs.
type Bins struct{ Server, NATS, LB string }

// Build compiles the server, tools/natsd and tools/lb into dir.
func Build(dir string) (Bins, error) {
	b := Bins{Server: filepath.Join(dir, "checkgrid-server"), NATS: filepath.Join(dir, "natsd"), LB: filepath.Join(dir, "lb")}
	for _, p := range [][2]string{{b.Server, "checkgrid/server"}, {b.NATS, "checkgrid/tools/natsd"}, {b.LB, "checkgrid/tools/lb"}} {
		if out, err := exec.Command("go", "build", "-o", p[0], p[1]).CombinedOutput(); err != nil {
			return b, fmt.Errorf("go build %s: %w\n%s", p[1], err, out)
		}
	}
	return b, nil
}

// NATS is a running JetStream cluster of child processes.
type NATS struct {
	bin  string
	logw io.Writer
	Plan []jsserver.Options
	mu   sync.Mutex
	proc []*serverproc.Proc // nil where killed
}

// StartNATS starts n clustered JetStream servers with their stores under
// dir, all at once (the cluster forms once a quorum is up).
func StartNATS(bin, dir string, n int, logw io.Writer) (*NATS, error) {
	plan, err := jsserver.Plan(dir, n)
	if err != nil {
		return nil, err
	}
	c := &NATS{bin: bin, logw: logw, Plan: plan, proc: make([]*serverproc.Proc, n)}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.Start(i)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		c.StopAll()
		return nil, err
	}
	return c, nil
}

// Start (re)starts server i with its planned name, ports and store.
func (c *NATS) Start(i int) error {
	o := c.Plan[i]
	args := []string{"-name", o.Name, "-dir", o.Dir, "-addr", "127.0.0.1:" + strconv.Itoa(o.Port),
		"-cluster", "127.0.0.1:" + strconv.Itoa(o.ClusterPort), "-routes", strings.Join(o.Routes, ",")}
	p, err := serverproc.Start(c.bin, args, prefixed(c.logw, o.Name), natsStart)
	if err != nil {
		return fmt.Errorf("natsd %s: %w", o.Name, err)
	}
	c.mu.Lock()
	c.proc[i] = p
	c.mu.Unlock()
	return nil
}

// Proc is server i's process (nil if killed).
func (c *NATS) Proc(i int) *serverproc.Proc {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.proc[i]
}

// Kill ends server i with SIGKILL.
func (c *NATS) Kill(i int) {
	c.mu.Lock()
	p := c.proc[i]
	c.proc[i] = nil
	c.mu.Unlock()
	if p != nil {
		p.Kill()
	}
}

// Index is the position of the server named name, or -1.
func (c *NATS) Index(name string) int {
	for i, o := range c.Plan {
		if o.Name == name {
			return i
		}
	}
	return -1
}

// URL is server i's client URL.
func (c *NATS) URL(i int) string { return "nats://127.0.0.1:" + strconv.Itoa(c.Plan[i].Port) }

// URLs are every server's client URL.
func (c *NATS) URLs() []string {
	var u []string
	for i := range c.Plan {
		u = append(u, c.URL(i))
	}
	return u
}

// StopAll stops every server that runs.
func (c *NATS) StopAll() {
	for i := range c.Plan {
		c.mu.Lock()
		p := c.proc[i]
		c.proc[i] = nil
		c.mu.Unlock()
		if p != nil {
			_ = p.Stop(stopGrace)
		}
	}
}

// StartNode starts a checkgrid node named name on a free loopback port
// (Proc.Addr), with an admin listener (Proc.Admin) for /metrics, data in
// dataDir, joined to the NATS servers at urls; extra flags follow.
func StartNode(bin, name, dataDir string, urls []string, logw io.Writer, extra ...string) (*serverproc.Proc, error) {
	args := append([]string{"-addr", "127.0.0.1:0", "-admin", "127.0.0.1:0", "-data", dataDir,
		"-nats", strings.Join(urls, ","), "-node", name}, extra...)
	p, err := serverproc.Start(bin, args, prefixed(logw, name), nodeStart)
	if err != nil {
		return nil, fmt.Errorf("node %s: %w", name, err)
	}
	return p, nil
}

// StartLB starts the load balancer at addr in front of backends.
func StartLB(bin, addr string, backends []string, logw io.Writer) (*serverproc.Proc, error) {
	return serverproc.Start(bin, []string{"-addr", addr, "-backends", strings.Join(backends, ",")}, prefixed(logw, "lb"), natsStart)
}

// prefixed writes each line with "name: " before it (one process's lines
// arrive from one goroutine, whole).
func prefixed(w io.Writer, name string) io.Writer {
	return writerFunc(func(b []byte) (int, error) {
		_, err := io.WriteString(w, name+": "+string(b))
		return len(b), err
	})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

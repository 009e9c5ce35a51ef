//go:build !js

package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/peer"
	"checkgrid/tools/serverproc"

	"github.com/coder/websocket"
)

// server is the real server binary on a loopback port with its own data
// directory. It can be stopped and started again on the same port and data,
// as an operator's restart would.
type server struct {
	t    testing.TB
	bin  string
	args []string // extra flags
	data string
	addr string // host:port, fixed after the first start
	URL  string // http://host:port
	WS   string // ws://host:port/ws

	proc *serverproc.Proc // nil while stopped
	logs lockedBuffer
	// client, if set, is used for HTTP and WebSockets to the server (one
	// that trusts a TLS test's CA); nil means the default client.
	client *http.Client
}

// startServer runs the server with a fresh data directory on a free port,
// plus args, and stops it when the test ends (saving its log on failure).
func startServer(t testing.TB, args ...string) *server {
	t.Helper()
	return startServerBin(t, buildServer(t), args...)
}

// startServerBin is startServer with another server binary (a baseline
// build, for a benchmark).
func startServerBin(t testing.TB, bin string, args ...string) *server {
	t.Helper()
	s := &server{t: t, bin: bin, args: args, data: t.TempDir(), addr: "127.0.0.1:0"}
	s.start()
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("server log: %s", saveArtifact(t, "server.log", []byte(s.logs.String())))
		}
	})
	return s
}

func (s *server) start() {
	s.t.Helper()
	// -metrics-on-main: the tests read the server's counters from /metrics.
	args := append([]string{"-addr", s.addr, "-data", s.data, "-metrics-on-main"}, s.args...)
	p, err := serverproc.Start(s.bin, args, &s.logs, 20*time.Second)
	if err != nil {
		s.t.Fatalf("%v:\n%s", err, s.logs.String())
	}
	s.proc = p
	s.addr, s.URL, s.WS = p.Addr, "http://"+p.Addr, "ws://"+p.Addr+"/ws"
}

// stop sends SIGTERM (graceful: flush, checkpoint, close with 1001) and
// waits for the process.
func (s *server) stop() {
	if s.proc == nil {
		return
	}
	if err := s.proc.Stop(20 * time.Second); errors.Is(err, serverproc.ErrKilled) {
		s.t.Errorf("server did not stop within 20 s of SIGTERM: %v", err)
	}
	s.proc = nil
}

// snapshot is the server's grid as GET /api/snapshot returns it.
func (s *server) snapshot() (*protocol.Bitset, uint64) {
	s.t.Helper()
	b := s.get("/api/snapshot")
	snap, err := protocol.DecodeSnapshot(b)
	if err != nil {
		s.t.Fatalf("GET /api/snapshot: %v", err)
	}
	g := new(protocol.Bitset)
	if err := snap.Bits(g); err != nil {
		s.t.Fatalf("GET /api/snapshot: %v", err)
	}
	return g, snap.Seq
}

type stats struct {
	Checked int64  `json:"checked"`
	Online  int64  `json:"online"`
	Seq     uint64 `json:"seq"`
	// Connections counts every open connection (Online counts players).
	Connections int64 `json:"connections"`
}

func (s *server) stats() stats {
	s.t.Helper()
	var st stats
	if err := json.Unmarshal(s.get("/api/stats"), &st); err != nil {
		s.t.Fatalf("GET /api/stats: %v", err)
	}
	return st
}

func (s *server) get(path string) []byte {
	s.t.Helper()
	c := s.client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Get(s.URL + path)
	if err != nil {
		s.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		s.t.Fatalf("GET %s: %v %s", path, err, resp.Status)
	}
	return b
}

// metric returns the value of one sample line of GET /metrics, such as
// `checkgrid_rejected_boxes_total{reason="rate"}`, and 0 if it is absent
// (a counter not yet incremented).
func (s *server) metric(sample string) float64 {
	s.t.Helper()
	for _, line := range strings.Split(string(s.get("/metrics")), "\n") {
		if v, ok := strings.CutPrefix(line, sample+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				s.t.Fatalf("/metrics: %q: %v", line, err)
			}
			return f
		}
	}
	return 0
}

// waitStats polls the server until cond holds or the deadline passes.
func (s *server) waitStats(what string, timeout time.Duration, cond func(stats) bool) stats {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		st := s.stats()
		if cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("server: %s: not within %v (last stats %+v)", what, timeout, st)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// flipped lists the boxes that differ between two grids.
func flipped(a, b *protocol.Bitset) []uint32 {
	var out []uint32
	for w := range a {
		for x := a[w] ^ b[w]; x != 0; x &= x - 1 {
			bit := uint32(0)
			for y := x; y&1 == 0; y >>= 1 {
				bit++
			}
			out = append(out, uint32(w)*64+bit)
		}
	}
	return out
}

// watcher is a protocol client that reads every frame in the background,
// so the test can ask what it has seen and when.
type watcher struct {
	t    *testing.T
	p    *peer.Peer
	mu   sync.Mutex
	cond *sync.Cond
	err  error
	seen map[uint32]time.Time // box → when a Delta flipped it last
}

// dialPeer dials the server's /ws as a plain protocol client (what names
// it in a failure), within 10 s. The client's reads and writes use ctx;
// cancel ends them.
func (s *server) dialPeer(tb testing.TB, what string) (p *peer.Peer, ctx context.Context, cancel context.CancelFunc) {
	tb.Helper()
	ctx, cancel = context.WithCancel(context.Background())
	dctx, dcancel := context.WithTimeout(ctx, 10*time.Second)
	defer dcancel()
	p, err := peer.Dial(dctx, s.WS, peer.Options{Client: s.client})
	if err != nil {
		cancel()
		tb.Fatalf("%s: %v", what, err)
	}
	return p, ctx, cancel
}

// watch dials the server's /ws as a plain protocol client.
func (s *server) watch(t *testing.T) *watcher {
	t.Helper()
	p, ctx, cancel := s.dialPeer(t, "peer")
	w := &watcher{t: t, p: p, seen: map[uint32]time.Time{}}
	w.cond = sync.NewCond(&w.mu)
	p.OnDelta = func(_ uint64, _ []byte, boxes []uint32) { // under w.mu, in Apply
		now := time.Now()
		for _, i := range boxes {
			w.seen[i] = now
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			typ, b, err := p.Conn.Read(ctx)
			w.mu.Lock()
			if err == nil && typ != websocket.MessageBinary {
				err = fmt.Errorf("peer: %v message", typ)
			}
			if err == nil {
				_, err = p.Apply(ctx, b) // OnDelta marks what it flipped
			}
			w.err = err
			w.cond.Broadcast()
			w.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		p.Conn.CloseNow()
		<-done
	})
	return w
}

// set asks the server for changes, as another player would.
func (w *watcher) set(changes ...protocol.Change) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.p.Set(ctx, changes...); err != nil {
		w.t.Fatalf("peer set: %v", err)
	}
}

// waitBox waits until the peer's grid has box i == v, and returns when it
// saw the Delta that made it so (or now, if it already was).
func (w *watcher) waitBox(i uint32, v bool, timeout time.Duration) time.Time {
	w.t.Helper()
	stop := time.AfterFunc(timeout, func() {
		w.mu.Lock()
		w.cond.Broadcast()
		w.mu.Unlock()
	})
	defer stop.Stop()
	deadline := time.Now().Add(timeout)
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.p.Grid.Get(i) != v {
		if w.err != nil {
			w.t.Fatalf("peer: waiting for box %d = %v: %v", i, v, w.err)
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("peer: box %d did not become %v within %v (seq %d)", i, v, timeout, w.p.Seq)
		}
		w.cond.Wait()
	}
	if at, ok := w.seen[i]; ok {
		return at
	}
	return time.Now()
}

// lockedBuffer collects a process's output from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) WriteString(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(s)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

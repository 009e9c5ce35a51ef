package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/peer"
)

// testServer is a real server (run, as main calls it) on a loopback port
// with its own data directory.
type testServer struct {
	t      testing.TB
	URL    string // http://127.0.0.1:port
	WS     string // ws://127.0.0.1:port/ws
	Data   string
	Hup    chan os.Signal // SIGHUP, as main delivers it
	cancel context.CancelFunc
	done   chan error
	mu     sync.Mutex
	logs   strings.Builder
}

var listenRE = regexp.MustCompile(`msg=listening addr=(\S+)`)

// startServer runs the server with args added to a loopback address and a
// fresh data dir (unless args name -data), and stops it at cleanup.
func startServer(t testing.TB, args ...string) *testServer {
	t.Helper()
	ts := &testServer{t: t, Data: t.TempDir(), done: make(chan error, 1), Hup: make(chan os.Signal, 1)}
	full := append([]string{"-addr", "127.0.0.1:0", "-data", ts.Data}, args...)
	for i, a := range args {
		if a == "-data" {
			ts.Data = args[i+1]
		}
	}
	cfg, err := parseConfig(full, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	ts.cancel = cancel
	go func() {
		err := run(ctx, cfg, pw, ts.Hup)
		pw.CloseWithError(io.EOF)
		ts.done <- err
	}()
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			ts.mu.Lock()
			ts.logs.WriteString(line + "\n")
			ts.mu.Unlock()
			if m := listenRE.FindStringSubmatch(line); m != nil {
				addr <- m[1]
			}
		}
	}()
	select {
	case a := <-addr:
		ts.URL = "http://" + a
		ts.WS = "ws://" + a + "/ws"
		if cfg.tls() {
			ts.URL = "https://" + a
			ts.WS = "wss://" + a + "/ws"
		}
	case err := <-ts.done:
		t.Fatalf("server exited before listening: %v\n%s", err, ts.Logs())
	case <-time.After(20 * time.Second):
		t.Fatalf("server did not listen\n%s", ts.Logs())
	}
	t.Cleanup(func() { ts.Stop() })
	return ts
}

// Logs returns everything the server logged so far.
func (ts *testServer) Logs() string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.logs.String()
}

// Stop shuts the server down gracefully and waits for it.
func (ts *testServer) Stop() {
	if ts.cancel == nil {
		return
	}
	ts.cancel()
	ts.cancel = nil
	select {
	case err := <-ts.done:
		if err != nil {
			ts.t.Errorf("server exit: %v", err)
		}
	case <-time.After(30 * time.Second):
		ts.t.Errorf("server did not stop\n%s", ts.Logs())
	}
}

// dial connects a protocol peer.
func (ts *testServer) dial(ctx context.Context) *peer.Peer {
	ts.t.Helper()
	p, err := peer.Dial(ctx, ts.WS, peer.Options{})
	if err != nil {
		ts.t.Fatalf("dial: %v", err)
	}
	ts.t.Cleanup(func() { p.Conn.CloseNow() })
	return p
}

// snapshot fetches /api/snapshot and decodes it.
func (ts *testServer) snapshot() (*protocol.Bitset, uint64) {
	ts.t.Helper()
	resp, err := http.Get(ts.URL + "/api/snapshot")
	if err != nil {
		ts.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		ts.t.Fatal(err)
	}
	s, err := protocol.DecodeSnapshot(b)
	if err != nil {
		ts.t.Fatalf("snapshot: %v", err)
	}
	if h := resp.Header.Get("X-Seq"); h != strconv.FormatUint(s.Seq, 10) {
		ts.t.Fatalf("X-Seq %q, frame seq %d", h, s.Seq)
	}
	g := new(protocol.Bitset)
	if err := s.Bits(g); err != nil {
		ts.t.Fatal(err)
	}
	return g, s.Seq
}

// metric returns the sum of the samples of a metric whose line starts with
// prefix (name and optional labels), from /metrics.
func (ts *testServer) metric(prefix string) float64 {
	ts.t.Helper()
	resp, err := http.Get(ts.URL + "/metrics")
	if err != nil {
		ts.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	sum := 0.0
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, prefix) {
			f := strings.Fields(line)
			v, _ := strconv.ParseFloat(f[len(f)-1], 64)
			sum += v
		}
	}
	return sum
}

package clustertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"checkgrid/protocol"
	"checkgrid/server/cluster"
	"checkgrid/server/peer"
	"checkgrid/tools/clusterproc"
	"checkgrid/tools/serverproc"
)

var bins clusterproc.Bins

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "clustertest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if bins, err = clusterproc.Build(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// nodeFlags lift the per-player and per-address limits: every test player
// comes from 127.0.0.1. The lease TTL is the default.
var nodeFlags = []string{"-rate", "60000", "-burst", "60000", "-addr-rate", "60000", "-addr-burst", "60000",
	"-msg-rate", "60000", "-msg-burst", "60000"}

// logBuf keeps every process's log and prints it if the test fails.
type logBuf struct {
	mu    sync.Mutex
	b     bytes.Buffer
	wrote chan struct{} // closed by the next Write; nil until grew asks
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.wrote != nil {
		close(l.wrote)
		l.wrote = nil
	}
	return l.b.Write(p)
}

// grew returns a channel closed by the next Write: a test waits for a log
// line by looking, then waiting on the channel it took before looking.
func (l *logBuf) grew() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.wrote == nil {
		l.wrote = make(chan struct{})
	}
	return l.wrote
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// world is one test's cluster.
type world struct {
	t     testing.TB
	dir   string
	logs  *logBuf
	nats  *clusterproc.NATS
	nc    *nats.Conn
	js    jetstream.JetStream
	mu    sync.Mutex
	nodes map[string]*serverproc.Proc
	extra []string

	loadCtx  context.Context // the loaders'; stopLoad ends them
	stopLoad context.CancelFunc
}

func newWorld(t testing.TB, extra ...string) *world {
	t.Helper()
	if testing.Short() {
		t.Skip("runs JetStream servers and nodes as processes")
	}
	w := &world{t: t, dir: t.TempDir(), logs: &logBuf{}, nodes: map[string]*serverproc.Proc{}, extra: extra}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("process logs:\n%s", w.logs.String())
		}
	})
	var err error
	if w.nats, err = clusterproc.StartNATS(bins.NATS, filepath.Join(w.dir, "nats"), 3, w.logs); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.nats.StopAll)
	if w.nc, err = nats.Connect(strings.Join(w.nats.URLs(), ","), nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.nc.Close)
	if w.js, err = jetstream.New(w.nc); err != nil {
		t.Fatal(err)
	}
	return w
}

// node starts a node named name connected to the NATS servers at urls
// (all of them if none).
func (w *world) node(name string, urls ...string) *serverproc.Proc {
	w.t.Helper()
	if len(urls) == 0 {
		urls = w.nats.URLs()
	}
	data := filepath.Join(w.dir, name)
	if err := os.MkdirAll(data, 0o755); err != nil {
		w.t.Fatal(err)
	}
	p, err := clusterproc.StartNode(bins.Server, name, data, urls, w.logs, append(slices.Clone(nodeFlags), w.extra...)...)
	if err != nil {
		w.t.Fatal(err)
	}
	w.mu.Lock()
	w.nodes[name] = p
	w.mu.Unlock()
	w.t.Cleanup(func() {
		w.mu.Lock()
		alive := w.nodes[name] == p
		w.mu.Unlock()
		if alive {
			if err := p.Stop(10 * time.Second); err != nil {
				w.t.Errorf("node %s stop: %v", name, err)
			}
		}
	})
	return p
}

// kill ends node name with SIGKILL.
func (w *world) kill(name string) {
	w.mu.Lock()
	p := w.nodes[name]
	delete(w.nodes, name)
	w.mu.Unlock()
	p.Kill()
}

func (w *world) signal(name string, s syscall.Signal) {
	w.mu.Lock()
	p := w.nodes[name]
	w.mu.Unlock()
	if err := syscall.Kill(p.Pid(), s); err != nil {
		w.t.Fatal(err)
	}
}

// addrs of the live nodes, in name order.
func (w *world) addrs() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var names []string
	for n := range w.nodes {
		names = append(names, n)
	}
	slices.Sort(names)
	var out []string
	for _, n := range names {
		out = append(out, w.nodes[n].Addr)
	}
	return out
}

// sequencer is the lease holder's node name, waiting up to d for one.
func (w *world) sequencer(d time.Duration) string {
	w.t.Helper()
	deadline := time.Now().Add(d)
	for {
		kv, err := w.js.KeyValue(context.Background(), cluster.LeaseBucket)
		if err == nil {
			var e jetstream.KeyValueEntry
			if e, err = kv.Get(context.Background(), cluster.LeaseKey); err == nil {
				return string(e.Value())
			}
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("no sequencer after %v: %v", d, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (w *world) stream() jetstream.Stream {
	w.t.Helper()
	return retry(w.t, "stream", func() (jetstream.Stream, error) {
		return w.js.Stream(context.Background(), cluster.StreamName)
	})
}

// retry calls read until it succeeds or 20 s pass: a JetStream server
// just resumed or electing a leader answers 503 ("JetStream system
// temporarily unavailable") for a moment, which is the cluster's weather,
// not a finding (CI failed on one such answer reading the stream back).
func retry[T any](t testing.TB, what string, read func() (T, error)) T {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; {
		v, err := read()
		if err == nil {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// streamMsg is stored message seq of st, read with retry.
func (w *world) streamMsg(st jetstream.Stream, seq uint64) *jetstream.RawStreamMsg {
	w.t.Helper()
	return retry(w.t, fmt.Sprintf("stream seq %d", seq), func() (*jetstream.RawStreamMsg, error) {
		return st.GetMsg(context.Background(), seq)
	})
}

// streamInfo is st's info, read with retry.
func (w *world) streamInfo(st jetstream.Stream) *jetstream.StreamInfo {
	w.t.Helper()
	return retry(w.t, "stream info", func() (*jetstream.StreamInfo, error) {
		return st.Info(context.Background())
	})
}

// replay reads the whole stream into a Replica, checking that every
// stored message is the Delta of its seq and that the sequencer epochs in
// their Nats-Msg-Ids never go back (a stale sequencer's Delta never lands
// after a newer one's); it also returns the frames.
func (w *world) replay() (*protocol.Replica, map[uint64][]byte) {
	w.t.Helper()
	s := w.stream()
	info := w.streamInfo(s)
	if info.State.FirstSeq > 1 {
		w.t.Fatalf("stream starts at %d: these tests keep it whole", info.State.FirstSeq)
	}
	r := new(protocol.Replica)
	r.Reset(0, 0, new(protocol.Bitset))
	frames := map[uint64][]byte{}
	var lastEpoch uint64
	for seq := uint64(1); seq <= info.State.LastSeq; seq++ {
		m := w.streamMsg(s, seq)
		if _, err := r.Apply(m.Data); err != nil {
			w.t.Fatalf("stream seq %d: %v", seq, err)
		}
		frames[seq] = m.Data
		id := m.Header.Get(jetstream.MsgIDHeader)
		e, s, ok := strings.Cut(id, "-")
		epoch, err := strconv.ParseUint(e, 10, 64)
		if !ok || err != nil || s != strconv.FormatUint(seq, 10) {
			w.t.Fatalf("stream seq %d has Nats-Msg-Id %q, want EPOCH-%d", seq, id, seq)
		}
		if epoch < lastEpoch {
			w.t.Fatalf("stream seq %d from epoch %d after epoch %d", seq, epoch, lastEpoch)
		}
		lastEpoch = epoch
	}
	return r, frames
}

// snapshotOf is node addr's /api/snapshot.
func snapshotOf(t testing.TB, addr string) *protocol.Replica {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/api/snapshot")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("snapshot of %s: %d %v", addr, resp.StatusCode, err)
	}
	s, err := protocol.DecodeSnapshot(b)
	if err != nil {
		t.Fatal(err)
	}
	r := new(protocol.Replica)
	if err := r.ApplySnapshot(s); err != nil {
		t.Fatal(err)
	}
	return r
}

// converge waits until every live node's snapshot is at the stream's last
// seq and equals the stream replayed from seq 1. A node ahead of the
// replay means a commit landed after it (the last Sets settling): replay
// again.
func (w *world) converge() *protocol.Replica {
	w.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		want, _ := w.replay()
		behind := ""
		for _, a := range w.addrs() {
			got := snapshotOf(w.t, a)
			if got.Seq == want.Seq && got.Grid != want.Grid {
				w.t.Fatalf("node %s at seq %d differs from the stream", a, got.Seq)
			}
			if got.Seq != want.Seq {
				behind = fmt.Sprintf("node %s at seq %d, stream at %d", a, got.Seq, want.Seq)
			}
		}
		if behind == "" {
			return want
		}
		if time.Now().After(deadline) {
			w.t.Fatal(behind)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// seen is every Delta any player saw: one content per seq, or the test
// fails.
type seen struct {
	mu     sync.Mutex
	frames map[uint64][]byte
	clash  []string
}

func (s *seen) add(seq uint64, frame []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.frames == nil {
		s.frames = map[uint64][]byte{}
	}
	if old, ok := s.frames[seq]; ok {
		if !bytes.Equal(old, frame) {
			s.clash = append(s.clash, fmt.Sprintf("seq %d seen with two contents", seq))
		}
		return
	}
	s.frames[seq] = slices.Clone(frame)
}

// check: every seen Delta is in the stream, byte for byte.
func (s *seen) check(t testing.TB, stream map[uint64][]byte) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.clash {
		t.Error(c)
	}
	for seq, f := range s.frames {
		if g, ok := stream[seq]; !ok || !bytes.Equal(g, f) {
			t.Errorf("seen Delta %d is not the stream's (in stream: %v)", seq, ok)
		}
	}
	if len(s.frames) == 0 {
		t.Error("no Delta seen")
	}
}

// watcher is a player that only reads, on one node; if that node dies it
// reconnects to another (as the client does) and starts from a Snapshot.
type watcher struct {
	name    string
	seen    *seen
	w       *world
	mu      sync.Mutex
	gaps    []error // any gap or out-of-order error
	resyncs int     // Resync frames on one connection
	moves   int     // reconnections to another node
	arrival []time.Time
	rep     protocol.Replica
	done    chan struct{}
}

func (w *world) watch(ctx context.Context, name, addr string, s *seen) *watcher {
	wt := &watcher{name: name, seen: s, w: w, done: make(chan struct{})}
	go wt.run(ctx, addr)
	return wt
}

func (wt *watcher) run(ctx context.Context, addr string) {
	defer close(wt.done)
	for ctx.Err() == nil {
		p, err := peer.Dial(ctx, "ws://"+addr+"/ws", peer.Options{})
		if err == nil {
			p.OnDelta = func(seq uint64, frame []byte, _ []uint32) {
				wt.seen.add(seq, frame)
				wt.mu.Lock()
				wt.arrival = append(wt.arrival, time.Now())
				wt.mu.Unlock()
			}
			for {
				_, err = p.Next(ctx)
				wt.mu.Lock()
				wt.resyncs = p.Frames(protocol.TypeResync)
				wt.rep = p.Replica
				wt.mu.Unlock()
				if err != nil {
					break
				}
			}
			if ctx.Err() == nil && (errors.Is(err, peer.ErrGap) || errors.Is(err, peer.ErrSkipped) || errors.Is(err, peer.ErrEpoch)) {
				wt.mu.Lock()
				wt.gaps = append(wt.gaps, err)
				wt.mu.Unlock()
			}
			_ = p.Conn.CloseNow()
		}
		if ctx.Err() != nil {
			return
		}
		// Reconnect elsewhere, as a client whose node went away does.
		as := wt.w.addrs()
		addr = as[rand.IntN(len(as))]
		wt.mu.Lock()
		wt.moves++
		wt.mu.Unlock()
		time.Sleep(100 * time.Millisecond)
	}
}

func (wt *watcher) state() (protocol.Replica, []error, int, int) {
	wt.mu.Lock()
	defer wt.mu.Unlock()
	return wt.rep, slices.Clone(wt.gaps), wt.resyncs, wt.moves
}

// waitSeq waits until the watcher has applied seq.
func (wt *watcher) waitSeq(t testing.TB, seq uint64, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		r, _, _, _ := wt.state()
		if r.Synced() && r.Seq >= seq {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("watcher %s at seq %d, want %d", wt.name, r.Seq, seq)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// pause is the longest time between two Deltas this watcher saw after
// since: under steady load, the write pause around a failure.
func (wt *watcher) pause(since time.Time) time.Duration {
	return wt.pauseBetween(since, time.Now())
}

// pauseBetween is the longest time between two Deltas this watcher saw
// with the later one in [from, to].
func (wt *watcher) pauseBetween(from, to time.Time) time.Duration {
	wt.mu.Lock()
	defer wt.mu.Unlock()
	var longest time.Duration
	for i := 1; i < len(wt.arrival); i++ {
		if wt.arrival[i].After(from) && !wt.arrival[i].After(to) {
			longest = max(longest, wt.arrival[i].Sub(wt.arrival[i-1]))
		}
	}
	return longest
}

// loader is a player that sets random boxes every few ms on one node
// (moving to another if it dies), counting what was refused.
type loader struct {
	mu       sync.Mutex
	sent     int
	rejected map[protocol.RejectReason]int
	done     chan struct{}
}

func (w *world) load(ctx context.Context, addr string, seed uint64, every time.Duration) *loader {
	l := &loader{rejected: map[protocol.RejectReason]int{}, done: make(chan struct{})}
	go func() {
		defer close(l.done)
		r := rand.New(rand.NewPCG(seed, 7))
		for ctx.Err() == nil {
			p, err := peer.Dial(ctx, "ws://"+addr+"/ws", peer.Options{})
			if err != nil {
				as := w.addrs()
				addr = as[r.IntN(len(as))]
				time.Sleep(100 * time.Millisecond)
				continue
			}
			rctx, stop := context.WithCancel(ctx)
			go func() { // read, to see Rejects and keep the socket drained
				defer stop()
				for {
					t, err := p.Next(rctx)
					if err != nil {
						return
					}
					if t == protocol.TypeReject {
						l.mu.Lock()
						l.rejected[p.LastReject.Reason]++
						l.mu.Unlock()
					}
				}
			}()
			for rctx.Err() == nil {
				ch := make([]protocol.Change, 4)
				for i := range ch {
					ch[i] = protocol.Change{Index: uint32(r.IntN(protocol.Boxes)), Value: r.IntN(2) == 0}
				}
				if p.Set(rctx, ch...) == nil {
					l.mu.Lock()
					l.sent++
					l.mu.Unlock()
				}
				select {
				case <-rctx.Done():
				case <-time.After(every):
				}
			}
			_ = p.Conn.CloseNow()
			as := w.addrs()
			addr = as[r.IntN(len(as))]
		}
	}()
	return l
}

// metric reads one sample from a node's /metrics (admin listener).
func metric(t testing.TB, admin, name string) float64 {
	t.Helper()
	for _, line := range strings.Split(metricsText(t, admin), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == name {
			v, _ := strconv.ParseFloat(f[1], 64)
			return v
		}
	}
	return 0
}

// metricsText is a node's /metrics page.
func metricsText(t testing.TB, admin string) string {
	t.Helper()
	resp, err := http.Get("http://" + admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

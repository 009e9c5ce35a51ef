package clustertest

import (
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/cluster"
	"checkgrid/server/peer"
)

// chaosCycles: `make test` runs a few; `make chaos` many (-chaos.cycles).
var chaosCycles = flag.Int("chaos.cycles", 4, "failure cycles in TestChaos")

// Chaos bounds, stated in the README ("What happens on each failure").
const (
	// endSlack: after AcceptBound the node looks at the stream's tail (0.5 s),
	// then a refused box's Reject, or an applied
	// box's Delta, still has to cross the node's hub and the socket.
	endSlack = 2 * time.Second
	// convergeBound: every node and player at the stream's tail, equal to
	// it, this long after the last restart.
	convergeBound = 15 * time.Second
	// writerBoxes: boxes each writer owns; it never sets a box whose last
	// Set's end it did not see, so it needs a few spare.
	writerBoxes = 4096
	writeEvery  = 15 * time.Millisecond
)

// writer is a player that sets only its own boxes, one Set in flight per
// box, and checks that every Set its node accepted ends: applied (its
// replica shows the value) or refused (a Reject names the box) within
// AcceptBound + endSlack while it stays connected; and that no box of its
// own ever flips without a Set of its own waiting on it.
type writer struct {
	name string
	w    *world
	base uint32 // owns base … base+writerBoxes-1

	mu       sync.Mutex
	addr     string                // the node it plays on now
	pending  map[uint32]pendingSet // sent, end not seen yet
	unknown  map[uint32]bool       // sent on a connection that ended: may or may not land
	applied  int
	refused  int
	lost     int // pending when the connection ended
	failures []string
	done     chan struct{}
}

type pendingSet struct {
	want bool
	sent time.Time
}

func (w *world) write(ctx context.Context, name, addr string, base uint32, seed uint64) *writer {
	wr := &writer{name: name, w: w, base: base, pending: map[uint32]pendingSet{}, unknown: map[uint32]bool{}, done: make(chan struct{})}
	go wr.run(ctx, addr, seed)
	return wr
}

func (wr *writer) fail(format string, args ...any) {
	wr.failures = append(wr.failures, fmt.Sprintf(wr.name+": "+format, args...))
}

func (wr *writer) run(ctx context.Context, addr string, seed uint64) {
	defer close(wr.done)
	r := rand.New(rand.NewPCG(seed, 11))
	for ctx.Err() == nil {
		p, err := peer.Dial(ctx, "ws://"+addr+"/ws", peer.Options{})
		if err != nil {
			as := wr.w.addrs()
			addr = as[r.IntN(len(as))]
			time.Sleep(100 * time.Millisecond)
			continue
		}
		wr.mu.Lock()
		wr.addr = addr
		wr.mu.Unlock()
		wr.session(ctx, p, r)
		_ = p.Conn.CloseNow()
		wr.mu.Lock()
		for i := range wr.pending {
			wr.unknown[i] = true
			wr.lost++
		}
		clear(wr.pending)
		wr.mu.Unlock()
		as := wr.w.addrs()
		addr = as[r.IntN(len(as))]
	}
}

// session plays on one connection until it ends.
func (wr *writer) session(ctx context.Context, p *peer.Peer, r *rand.Rand) {
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	var grid protocol.Bitset // the writer's own boxes as the reader last saw them
	var gmu sync.Mutex
	own := func(i uint32) bool { return i >= wr.base && i < wr.base+writerBoxes }
	snap := func() {
		gmu.Lock()
		grid = p.Grid
		gmu.Unlock()
		wr.mu.Lock()
		for i, ps := range wr.pending { // a snapshot can show a Set applied too
			if p.Grid.Get(i) == ps.want {
				delete(wr.pending, i)
				wr.applied++
			}
		}
		wr.mu.Unlock()
	}
	snap()
	p.OnDelta = func(_ uint64, _ []byte, boxes []uint32) {
		wr.mu.Lock()
		for _, i := range boxes {
			if !own(i) {
				continue
			}
			ps, ok := wr.pending[i]
			switch {
			case ok && p.Grid.Get(i) == ps.want:
				delete(wr.pending, i)
				wr.applied++
			case !ok && wr.unknown[i]:
				delete(wr.unknown, i) // a Set of an ended connection landed
			case !ok:
				wr.fail("box %d flipped with no Set of mine waiting (refused, or never sent)", i)
			}
		}
		wr.mu.Unlock()
		gmu.Lock()
		grid = p.Grid
		gmu.Unlock()
	}
	go func() {
		defer stop()
		for {
			t, err := p.Next(sctx)
			if err != nil {
				return
			}
			switch t {
			case protocol.TypeSnapshot:
				snap()
			case protocol.TypeReject:
				wr.mu.Lock()
				for _, i := range p.RejectedBoxes {
					if _, ok := wr.pending[i]; ok {
						delete(wr.pending, i)
						wr.refused++
					}
				}
				p.RejectedBoxes = p.RejectedBoxes[:0]
				wr.mu.Unlock()
			}
		}
	}()
	tick := time.NewTicker(writeEvery)
	defer tick.Stop()
	for {
		select {
		case <-sctx.Done():
			return
		case <-tick.C:
		}
		now := time.Now()
		wr.mu.Lock()
		for i, ps := range wr.pending {
			if now.Sub(ps.sent) > cluster.AcceptBound+endSlack {
				wr.fail("box %d: no Delta and no Reject %v after its Set at %s on %s", i, now.Sub(ps.sent).Round(time.Millisecond), ps.sent.Format("15:04:05.000"), wr.addr)
				delete(wr.pending, i)
				wr.unknown[i] = true
			}
		}
		var i uint32
		for range 8 { // a free box: nothing pending, nothing unknown
			if c := wr.base + uint32(r.IntN(writerBoxes)); wr.pending[c] == (pendingSet{}) && !wr.unknown[c] {
				i = c
				break
			}
		}
		if i == 0 {
			wr.mu.Unlock()
			continue
		}
		gmu.Lock()
		want := !grid.Get(i)
		gmu.Unlock()
		wr.pending[i] = pendingSet{want: want, sent: now}
		wr.mu.Unlock()
		if p.Set(sctx, protocol.Change{Index: i, Value: want}) != nil {
			return // pending becomes unknown with the connection
		}
	}
}

// resumed says node addr was paused (SIGSTOP) until now: Sets sent to it
// meanwhile arrive only now, and their bound runs from here.
func (wr *writer) resumed(addr string) {
	now := time.Now()
	wr.mu.Lock()
	defer wr.mu.Unlock()
	if wr.addr != addr {
		return
	}
	for i, ps := range wr.pending {
		ps.sent = now
		wr.pending[i] = ps
	}
}

func (wr *writer) report() (applied, refused, lost int, failures []string) {
	wr.mu.Lock()
	defer wr.mu.Unlock()
	return wr.applied, wr.refused, wr.lost, slices.Clone(wr.failures)
}

// chaosAction is one kind of failure a cycle injects.
type chaosAction uint8

const (
	killNode chaosAction = iota
	killNATS
	killPair      // a node and a JetStream server at once: a quorum of each is left
	stopSequencer // SIGSTOP past the lease, then SIGCONT
	chaosActions
)

func (a chaosAction) String() string {
	switch a {
	case killNode:
		return "kill -9 node"
	case killNATS:
		return "kill -9 the stream leader's JetStream server"
	case killPair:
		return "kill -9 node and JetStream server"
	case stopSequencer:
		return "SIGSTOP sequencer past its lease"
	}
	return fmt.Sprintf("chaosAction(%d)", uint8(a))
}

// TestChaos: three JetStream servers and three nodes as processes, a
// watcher and a writer on every node, and each cycle one failure (kill -9
// of a node, of a JetStream server, of one of each, or SIGSTOP of the
// sequencer past its lease), then the restart, which must come up
// whatever distance behind it is: every node runs with -snapshot-every 1h,
// so each restart replays every Delta since the stream began. Then a node
// joins far behind. Checks: the same bytes for every seq everywhere and
// in the stream; every Set a node accepted applied or refused within the
// bound; no box of a writer's flipped without its Set; every node and
// player converged to the stream within convergeBound of the last
// restart. `make chaos` runs many cycles.
func TestChaos(t *testing.T) {
	w := newWorld(t, "-snapshot-every", "1h")
	names := []string{"a", "b", "c"}
	for _, n := range names {
		w.node(n)
	}
	w.sequencer(20 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(*chaosCycles)*40*time.Second+60*time.Second)
	defer cancel()
	var s seen
	ws := map[string]*watcher{}
	var writers []*writer
	for i, n := range names {
		w.mu.Lock()
		addr := w.nodes[n].Addr
		w.mu.Unlock()
		ws[n] = w.watch(ctx, n, addr, &s)
		writers = append(writers, w.write(ctx, "writer-"+n, addr, uint32(1+i*writerBoxes), uint64(i+1)))
	}
	for _, wt := range ws {
		wt.waitSeq(t, 20, 20*time.Second)
	}
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 3))
	var lastRestart time.Time
	type window struct {
		what       string
		start, end time.Time
	}
	var windows []window
	for cycle := range *chaosCycles {
		act := chaosAction(r.IntN(int(chaosActions)))
		if cycle < int(chaosActions) {
			act = chaosAction(cycle) // every kind at least once
		}
		node := names[r.IntN(len(names))]
		js := r.IntN(len(w.nats.Plan))
		from := w.streamLast()
		start := time.Now()
		pending := w.writersPending(writers)
		switch act {
		case killNode:
			w.kill(node)
		case killNATS: // the stream's leader: the worst JetStream server to lose
			if info, err := w.stream().Info(ctx); err == nil && info.Cluster != nil {
				if i := w.nats.Index(info.Cluster.Leader); i >= 0 {
					js = i
				}
			}
			w.nats.Kill(js)
		case killPair:
			w.kill(node)
			w.nats.Kill(js)
		case stopSequencer:
			node = w.sequencer(10 * time.Second)
			w.signal(node, syscall.SIGSTOP)
			for w.sequencer(10*time.Second) == node {
				if time.Since(start) > 20*time.Second {
					t.Fatalf("cycle %d: the lease never left the stopped %s", cycle, node)
				}
				time.Sleep(20 * time.Millisecond)
			}
			w.signal(node, syscall.SIGCONT)
			w.mu.Lock()
			addr := w.nodes[node].Addr
			w.mu.Unlock()
			for _, wr := range writers {
				wr.resumed(addr)
			}
		}
		// Writes go on without the failed process: the stream moves.
		w.waitStream(t, from+40, 30*time.Second)
		switch act {
		case killNode:
			w.node(node)
		case killNATS:
			if err := w.nats.Start(js); err != nil {
				t.Fatal(err)
			}
		case killPair:
			if err := w.nats.Start(js); err != nil {
				t.Fatal(err)
			}
			w.node(node)
		}
		lastRestart = time.Now()
		windows = append(windows, window{fmt.Sprintf("cycle %d: %v", cycle, act), start, lastRestart})
		t.Logf("cycle %d: %v (%s, js %d): stream %d → %d in %v; %d Sets waiting at the failure", cycle, act, node, js, from, w.streamLast(), time.Since(start).Round(time.Millisecond), pending)
	}
	// A node that joins far behind: every Delta so far, no snapshot, more
	// than the feed's queue to the hub (256) held before the fix.
	w.waitStream(t, 520, 60*time.Second)
	from := w.streamLast()
	j := w.node("joiner")
	lastRestart = time.Now()
	ws["joiner"] = w.watch(ctx, "joiner", j.Addr, &s)
	t.Logf("joiner up %d Deltas behind", from)

	// Convergence: every node and watcher at the stream's tail within the
	// bound. The writers keep writing, so "the tail" is where it is when
	// each is checked; finish below stops them and checks the end state.
	deadline := lastRestart.Add(convergeBound)
	for n, wt := range ws {
		tail := w.streamLast()
		wt.waitSeq(t, tail, time.Until(deadline))
		t.Logf("watcher %s at the tail %d within %v of the last restart", n, tail, time.Since(lastRestart).Round(time.Millisecond))
	}
	cancel()
	for _, wr := range writers {
		<-wr.done
	}
	for _, wt := range ws {
		<-wt.done
	}
	want := w.converge()
	_, frames := w.replay()
	s.check(t, frames)
	failed := false
	for _, wr := range writers {
		applied, refused, lost, failures := wr.report()
		t.Logf("%s: %d Sets applied, %d refused, %d ended with their connection", wr.name, applied, refused, lost)
		for _, f := range failures {
			t.Error(f)
			failed = true
		}
		if applied == 0 {
			t.Errorf("%s: nothing applied", wr.name)
		}
	}
	if failed {
		// What each node says it did with the boxes: the next reader of a
		// failure starts from here, not from a guess.
		w.logCounters(t, "checkgrid_drops_total", "checkgrid_resyncs_total", "checkgrid_rejected_boxes_total",
			"checkgrid_disconnects_total", "checkgrid_dropped_boxes_total", "checkgrid_refused_full_total")
	}
	t.Logf("stream at %d after %d cycles", want.Seq, *chaosCycles)
	// The write pause of each failure: the longest time between two
	// commits (the stream's own timestamps) around it. Measured, not
	// asserted: BENCHMARKS.md and the README report them.
	times := w.commitTimes()
	for _, win := range windows {
		var longest time.Duration
		for i := 1; i < len(times); i++ {
			if times[i].After(win.start) && times[i-1].Before(win.end) {
				longest = max(longest, times[i].Sub(times[i-1]))
			}
		}
		t.Logf("%s: longest write pause %v", win.what, longest.Round(time.Millisecond))
	}
}

// waitStream waits until the stream's last seq reaches seq; while a
// JetStream server is down, the stream's info may take an election to
// answer.
func (w *world) waitStream(t *testing.T, seq uint64, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	var last uint64
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		if st, err := w.js.Stream(ctx, cluster.StreamName); err == nil {
			if info, err := st.Info(ctx); err == nil {
				last = info.State.LastSeq
			}
		}
		cancel()
		if last >= seq {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("stream at %d, want %d within %v", last, seq, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// writersPending counts the Sets the writers wait on now.
func (w *world) writersPending(writers []*writer) int {
	n := 0
	for _, wr := range writers {
		wr.mu.Lock()
		n += len(wr.pending)
		wr.mu.Unlock()
	}
	return n
}

// commitTimes are the stream's timestamps of every Delta, in seq order.
func (w *world) commitTimes() []time.Time {
	w.t.Helper()
	st := w.stream()
	info := w.streamInfo(st)
	var times []time.Time
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		m := w.streamMsg(st, seq)
		times = append(times, m.Time)
	}
	return times
}

// logCounters logs every live node's metric lines that start with one of
// names (from its admin listener's /metrics).
func (w *world) logCounters(t *testing.T, names ...string) {
	t.Helper()
	w.mu.Lock()
	nodes := maps.Clone(w.nodes)
	w.mu.Unlock()
	for name, p := range nodes {
		if p.Admin == "" {
			continue
		}
		resp, err := http.Get("http://" + p.Admin + "/metrics")
		if err != nil {
			t.Logf("%s: metrics: %v", name, err)
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		for line := range strings.Lines(string(body)) {
			for _, n := range names {
				if strings.HasPrefix(line, n) {
					t.Logf("%s: %s", name, strings.TrimSpace(line))
				}
			}
		}
	}
}

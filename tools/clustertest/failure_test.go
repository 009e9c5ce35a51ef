package clustertest

import (
	"context"
	"net/http"
	"regexp"
	"syscall"
	"testing"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/cluster"
	"checkgrid/server/peer"
)

// Load: every loader sets 4 random boxes every loadEvery, so every tick
// has a Delta and a pause in commits shows up as a pause in Deltas.
const loadEvery = 10 * time.Millisecond

// busy starts a watcher and a loader on each named node; the loaders run
// until w.stopLoad.
func (w *world) busy(ctx context.Context, s *seen, names ...string) map[string]*watcher {
	ws := map[string]*watcher{}
	if w.loadCtx == nil {
		w.loadCtx, w.stopLoad = context.WithCancel(ctx)
	}
	for i, n := range names {
		w.mu.Lock()
		addr := w.nodes[n].Addr
		w.mu.Unlock()
		ws[n] = w.watch(ctx, n, addr, s)
		w.load(w.loadCtx, addr, uint64(i+1), loadEvery)
	}
	return ws
}

// busyThree is the setup of the failure tests under load: nodes a, b and
// c, a sequencer (whose node it returns), and a watcher and a loader on
// each node until every watcher has seen seq 30. The run ends when ctx
// does (90 s) or with cancel.
func (w *world) busyThree(t *testing.T, s *seen) (seq string, ctx context.Context, cancel context.CancelFunc, ws map[string]*watcher) {
	t.Helper()
	for _, n := range []string{"a", "b", "c"} {
		w.node(n)
	}
	seq = w.sequencer(20 * time.Second)
	ctx, cancel = context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel) // also if a wait below fails the test
	ws = w.busy(ctx, s, "a", "b", "c")
	for _, wt := range ws {
		wt.waitSeq(t, 30, 20*time.Second)
	}
	return seq, ctx, cancel, ws
}

func (w *world) streamLast() uint64 {
	w.t.Helper()
	info, err := w.stream().Info(context.Background())
	if err != nil {
		w.t.Fatal(err)
	}
	return info.State.LastSeq
}

// noGap: a watcher on a node that stayed up saw no gap, no resync, and
// never had to move.
func noGap(t *testing.T, wt *watcher) {
	t.Helper()
	_, gaps, resyncs, moves := wt.state()
	if len(gaps) > 0 || resyncs > 0 || moves > 0 {
		t.Errorf("watcher on %s: gaps %v, resyncs %d, moves %d (want none)", wt.name, gaps, resyncs, moves)
	}
}

// finish stops the load, waits for every node and watcher to reach the
// stream's tail, and checks all of them against the stream.
func (w *world) finish(cancel context.CancelFunc, s *seen, ws map[string]*watcher) {
	w.t.Helper()
	w.stopLoad()
	time.Sleep(500 * time.Millisecond) // the last Sets commit
	want := w.converge()
	for _, wt := range ws {
		wt.waitSeq(w.t, want.Seq, 20*time.Second)
		if r, _, _, _ := wt.state(); r.Grid != want.Grid {
			w.t.Errorf("watcher %s differs from the stream at %d", wt.name, want.Seq)
		}
	}
	cancel()
	_, frames := w.replay()
	s.check(w.t, frames)
}

// kill -9 of the sequencer's node under load: another node takes the
// lease and continues the same chain; players on the surviving nodes see
// no gap and no resync; the killed node's player reconnects elsewhere and
// converges; a node that joins meanwhile converges; everything seen is the
// stream's.
func TestKill9SequencerUnderLoad(t *testing.T) {
	w := newWorld(t)
	var s seen
	seq, ctx, cancel, ws := w.busyThree(t, &s)
	defer cancel()
	w.kill(seq)
	killed := time.Now()
	var next string
	for next = w.sequencer(10 * time.Second); next == seq; next = w.sequencer(10 * time.Second) {
		if time.Since(killed) > 20*time.Second {
			t.Fatal("the lease never moved")
		}
		time.Sleep(20 * time.Millisecond)
	}
	tail := w.streamLast()
	for n, wt := range ws {
		if n != seq {
			wt.waitSeq(t, tail+30, 20*time.Second)
		}
	}
	took := time.Since(killed)
	j := w.node("joiner")
	ws["joiner"] = w.watch(ctx, "joiner", j.Addr, &s)
	ws["joiner"].waitSeq(t, w.streamLast()+20, 20*time.Second)
	w.finish(cancel, &s, ws)
	for n, wt := range ws {
		if n == "joiner" {
			noGap(t, wt)
		} else if n != seq {
			noGap(t, wt)
			t.Logf("write pause seen on %s: %v", n, wt.pause(killed).Round(time.Millisecond))
		} else if _, _, _, moves := wt.state(); moves == 0 {
			t.Errorf("the killed node's player never moved")
		}
	}
	t.Logf("sequencer %s killed; %s sequencing, 30 more Deltas on every survivor after %v", seq, next, took.Round(time.Millisecond))
}

// kill -9 of the JetStream server that leads the stream, under load: the
// stream elects another leader and the same checks hold.
func TestKill9StreamLeaderUnderLoad(t *testing.T) {
	w := newWorld(t)
	var s seen
	_, ctx, cancel, ws := w.busyThree(t, &s)
	defer cancel()
	info, err := w.stream().Info(ctx)
	if err != nil || info.Cluster == nil {
		t.Fatalf("stream info: %v", err)
	}
	leader := w.nats.Index(info.Cluster.Leader)
	w.nats.Kill(leader)
	killed := time.Now()
	tail := w.streamLast()
	for _, wt := range ws {
		wt.waitSeq(t, tail+30, 30*time.Second)
	}
	took := time.Since(killed)
	if err := w.nats.Start(leader); err != nil {
		t.Fatal(err)
	}
	w.finish(cancel, &s, ws)
	for n, wt := range ws {
		noGap(t, wt)
		t.Logf("write pause seen on %s: %v", n, wt.pause(killed).Round(time.Millisecond))
	}
	t.Logf("stream leader %s killed; 30 more Deltas on every node after %v", info.Cluster.Leader, took.Round(time.Millisecond))
}

// A node whose NATS server freezes (SIGSTOP) misses the live Deltas
// published until it notices (pings unanswered) and reconnects to another
// server: it finds the gap by seq, backfills from the stream, and its
// players see nothing of it.
func TestNodeMissingLiveDeltasBackfills(t *testing.T) {
	w := newWorld(t)
	w.node("a", w.nats.URL(0)) // the sequencer talks to server 0
	w.sequencer(20 * time.Second)
	// c talks to server 2, which must lead neither the stream nor the
	// lease: freezing it then leaves their leaders and a quorum, so Deltas
	// keep coming while c is away.
	far := 2
	for _, name := range []string{cluster.StreamName, "KV_" + cluster.LeaseBucket} {
		w.steerLeader(name, w.nats.Plan[far].Name)
	}
	c := w.node("c", w.nats.URL(far))
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var s seen
	ws := w.busy(ctx, &s, "a", "c")
	ws["c"].waitSeq(t, 40, 20*time.Second)
	pid := w.nats.Proc(far).Pid()
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Second)
	if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	ws["c"].waitSeq(t, w.streamLast()+40, 30*time.Second)
	w.finish(cancel, &s, ws)
	noGap(t, ws["c"])
	noGap(t, ws["a"])
	gaps := metric(t, c.Admin, "checkgrid_cluster_gaps_total")
	back := metric(t, c.Admin, "checkgrid_cluster_backfilled_total")
	t.Logf("node c: %v live gaps, %v Deltas backfilled from the stream", gaps, back)
	if back == 0 {
		t.Error("node c backfilled nothing: its live feed missed nothing, so the test tested nothing")
	}
}

// A sequencer paused (SIGSTOP) past its lease is replaced; when it resumes
// (SIGCONT) it does not publish: it finds its lease expired, steps down and
// follows. Nothing it built reaches a player or the stream (the epochs in
// the stream never go back), and players elsewhere see no gap.
func TestStaleSequencerIsFenced(t *testing.T) {
	w := newWorld(t)
	var s seen
	stale, _, cancel, ws := w.busyThree(t, &s)
	defer cancel()
	w.signal(stale, syscall.SIGSTOP)
	stopped := time.Now()
	for w.sequencer(10*time.Second) == stale {
		if time.Since(stopped) > 20*time.Second {
			w.signal(stale, syscall.SIGCONT)
			t.Fatal("the lease never moved")
		}
		time.Sleep(20 * time.Millisecond)
	}
	tail := w.streamLast()
	for n, wt := range ws {
		if n != stale {
			wt.waitSeq(t, tail+30, 20*time.Second)
		}
	}
	w.signal(stale, syscall.SIGCONT)
	// Resumed, it finds its lease gone and says so: wait for that, not
	// for a guessed time.
	stepDown := regexp.MustCompile(`msg="sequencer: (stepping down|lease not renewed in time)" node=` + stale + `\b.*`)
	var down []string
	for giveUp := time.After(10 * time.Second); ; {
		grew := w.logs.grew() // before the look, so no line is missed
		if down = stepDown.FindAllString(w.logs.String(), -1); len(down) > 0 {
			break
		}
		select {
		case <-grew:
			continue
		case <-giveUp:
		}
		break
	}
	w.finish(cancel, &s, ws)
	for n, wt := range ws {
		if n != stale {
			noGap(t, wt)
		}
	}
	if len(down) == 0 {
		t.Errorf("the stale sequencer %s did not log its step-down", stale)
	}
	for _, l := range down {
		t.Logf("%s: %s", stale, l)
	}
}

// With every JetStream server gone (kill -9), nodes refuse Sets with
// Reject storage, report 503 on /healthz, and keep serving reads: players
// stay, new players join and get the grid. When the servers are back,
// Sets commit again without any restart of the nodes.
func TestNATSLossRefusesSetsKeepsReads(t *testing.T) {
	w := newWorld(t)
	a := w.node("a")
	b := w.node("b")
	w.sequencer(20 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var s seen
	ws := w.busy(ctx, &s, "a", "b")
	ws["b"].waitSeq(t, 20, 20*time.Second)
	for i := range w.nats.Plan {
		w.nats.Kill(i)
	}
	for _, addr := range []string{a.Addr, b.Addr} {
		waitHealth(t, addr, http.StatusServiceUnavailable, 20*time.Second)
	}
	p, err := peer.Dial(ctx, "ws://"+b.Addr+"/ws", peer.Options{})
	if err != nil {
		t.Fatalf("joining while NATS is down: %v", err)
	}
	defer p.Conn.CloseNow()
	if err := p.Set(ctx, protocol.Change{Index: 123, Value: true}); err != nil {
		t.Fatal(err)
	}
	for {
		typ, err := p.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if typ == protocol.TypeReject {
			if p.LastReject.Reason != protocol.RejectStorage {
				t.Fatalf("reject %v, want storage", p.LastReject.Reason)
			}
			break
		}
	}
	before := snapshotOf(t, a.Addr)
	for i := range w.nats.Plan {
		if err := w.nats.Start(i); err != nil {
			t.Fatal(err)
		}
	}
	for _, addr := range []string{a.Addr, b.Addr} {
		waitHealth(t, addr, http.StatusOK, 30*time.Second)
	}
	ws["a"].waitSeq(t, before.Seq+20, 30*time.Second)
	w.finish(cancel, &s, ws)
	noGap(t, ws["a"])
	noGap(t, ws["b"])
}

func waitHealth(t *testing.T, addr string, code int, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == code {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s /healthz never %d", addr, code)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// steerLeader makes stream name's leader any server but avoid, by asking
// the leader to step down while it is avoid.
func (w *world) steerLeader(name, avoid string) {
	w.t.Helper()
	for range 10 {
		st, err := w.js.Stream(context.Background(), name)
		if err != nil {
			w.t.Fatal(err)
		}
		info, err := st.Info(context.Background())
		if err != nil || info.Cluster == nil {
			w.t.Fatalf("stream %s info: %v", name, err)
		}
		if info.Cluster.Leader != avoid && info.Cluster.Leader != "" {
			return
		}
		if info.Cluster.Leader == avoid {
			if _, err := w.nc.Request("$JS.API.STREAM.LEADER.STEPDOWN."+name, nil, 5*time.Second); err != nil {
				w.t.Logf("stepdown %s: %v", name, err)
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	w.t.Fatalf("stream %s still led by %s", name, avoid)
}

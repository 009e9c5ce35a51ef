package crashtest

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"checkgrid/protocol"
	"checkgrid/server/history"
	"checkgrid/server/store"
	"checkgrid/tools/serverproc"
)

// Bounds of the test. Cycles and durations are chosen so the default run
// takes well under a minute on 2 cores and still kills the server mid-tick
// many times (at ~20 ticks/s each cycle logs 5-25 ticks).
const (
	defaultCycles = 20
	observers     = 2
	loaders       = 2
	loadEvery     = 10 * time.Millisecond // per loader
	boxesPerSet   = 32
	minRun        = 300 * time.Millisecond
	maxRun        = 1200 * time.Millisecond
	startTimeout  = 20 * time.Second
	cycleTimeout  = 30 * time.Second
)

func TestKill9UnderLoadLosesNothingSeen(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and repeatedly kills the real server")
	}
	cycles := defaultCycles
	if v := os.Getenv("CHECKGRID_CRASH_CYCLES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("CHECKGRID_CRASH_CYCLES=%q", v)
		}
		cycles = n
	}
	bin := filepath.Join(t.TempDir(), "checkgrid")
	if out, err := exec.Command("go", "build", "-o", bin, "checkgrid/server").CombinedOutput(); err != nil {
		t.Fatalf("go build ./server: %v\n%s", err, out)
	}
	data := t.TempDir()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 4))

	var epoch uint64
	var seen []*observer // the previous cycle's observers
	newEpochs := 0       // restarts whose recovery cut a torn tail
	totalTicks := 0
	for cycle := 0; cycle <= cycles; cycle++ {
		srv := startServer(t, bin, data)
		snap := srv.snapshot(t)
		switch {
		case epoch == 0:
		case snap.epoch != epoch && !strings.Contains(srv.tail.String(), "store: new epoch"):
			t.Fatalf("cycle %d: epoch changed from %d to %d across a crash, and recovery cut nothing", cycle, epoch, snap.epoch)
		case snap.epoch != epoch:
			// Recovery cut a torn record: a new epoch makes every client
			// resync. Nothing seen may be lost all the same (verify).
			newEpochs++
		}
		epoch = snap.epoch
		for i, o := range seen {
			totalTicks += verify(t, cycle, data, snap, o)
			if i == 0 {
				verifyHistory(t, cycle, srv, o)
			}
		}
		if cycle == cycles {
			srv.kill(t)
			break
		}
		seen = runLoad(t, srv, rng, epoch, minRun+time.Duration(rng.Int64N(int64(maxRun-minRun))))
	}
	t.Logf("%d kill -9 cycles (%d cut a torn tail and started a new epoch); %d observed deltas verified", cycles, newEpochs, totalTicks)
}

// verify checks one observer's view against the restarted server and its
// log; it returns how many observed deltas it checked.
func verify(t *testing.T, cycle int, data string, snap serverSnapshot, o *observer) int {
	t.Helper()
	if !o.rep.Synced() {
		return 0
	}
	if snap.seq < o.rep.Seq {
		t.Fatalf("cycle %d: server recovered to seq %d, but an observer saw seq %d", cycle, snap.seq, o.rep.Seq)
	}
	rep := o.rep // the observer's grid, carried on by the log
	last := o.base
	err := store.ReadLog(data, o.base, func(seq, _ uint64, frame []byte) error {
		if seq > snap.seq {
			return nil // not in the snapshot (nothing should be appending)
		}
		last = seq
		if seq <= o.rep.Seq {
			if saw := o.frames[seq]; string(saw) != string(frame) {
				return fmt.Errorf("seq %d: logged delta differs from the one an observer saw", seq)
			}
			return nil
		}
		if _, err := rep.Apply(frame); err != nil {
			return fmt.Errorf("seq %d: %w", seq, err)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("cycle %d: reading the log: %v", cycle, err)
	}
	if last != snap.seq {
		t.Fatalf("cycle %d: log ends at seq %d, server snapshot is at %d", cycle, last, snap.seq)
	}
	if rep.Grid != snap.grid {
		t.Fatalf("cycle %d: observer's grid at seq %d plus logged deltas to %d differs from the server's snapshot", cycle, o.rep.Seq, snap.seq)
	}
	return int(o.rep.Seq - o.base)
}

// verifyHistory checks the restarted server's history API against what
// one observer saw: the grid at every seq it held (its snapshot's, then
// each Delta applied) equals the API's snapshot at that seq, and the API's
// entries for the range are the Delta frames it received.
func verifyHistory(t *testing.T, cycle int, srv *server, o *observer) {
	t.Helper()
	if !o.rep.Synced() {
		return
	}
	var rep protocol.Replica
	rep.Reset(o.rep.Epoch, o.base, &o.first)
	for seq := o.base; seq <= o.rep.Seq; seq++ {
		if seq > o.base {
			if _, err := rep.Apply(o.frames[seq]); err != nil {
				t.Fatalf("cycle %d: replaying the observer's seq %d: %v", cycle, seq, err)
			}
		}
		b := srv.get(t, fmt.Sprintf("/api/history/snapshot?seq=%d", seq))
		sn, err := protocol.DecodeSnapshot(b)
		var g protocol.Bitset
		if err == nil {
			err = sn.Bits(&g)
		}
		if err != nil || sn.Seq != seq || g != rep.Grid {
			t.Fatalf("cycle %d: history's grid at seq %d (frame seq %d, %v) differs from what an observer saw", cycle, seq, sn.Seq, err)
		}
	}
	if o.rep.Seq == o.base {
		return
	}
	for seq := o.base + 1; seq <= o.rep.Seq; {
		b := srv.get(t, fmt.Sprintf("/api/history/deltas?from=%d&to=%d", seq, o.rep.Seq))
		for len(b) > 0 {
			e, rest, err := history.NextEntry(b)
			if err != nil || e.Seq != seq || string(e.Frame) != string(o.frames[seq]) {
				t.Fatalf("cycle %d: history's entry for seq %d (seq %d, %v) is not the Delta an observer saw", cycle, seq, e.Seq, err)
			}
			b, seq = rest, seq+1
		}
	}
}

func (s *server) get(t *testing.T, path string) []byte {
	t.Helper()
	resp, err := http.Get("http://" + s.addr + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 2<<20))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %v %s", path, resp.Status, err, b)
	}
	return b
}

// server is one running server process.
type server struct {
	*serverproc.Proc
	addr string
	tail *logTail
}

func startServer(t *testing.T, bin, data string) *server {
	t.Helper()
	tail := &logTail{}
	p, err := serverproc.Start(bin, []string{"-addr", "127.0.0.1:0", "-data", data,
		// Limits far above the loaders' rate: this test is about durability.
		"-rate", "65535", "-burst", "1024", "-addr-rate", "65535", "-addr-burst", "65535"}, tail, startTimeout)
	if err != nil {
		t.Fatalf("%v:\n%s", err, tail)
	}
	return &server{Proc: p, addr: p.Addr, tail: tail}
}

func (s *server) kill(t *testing.T) {
	t.Helper()
	s.Kill() // SIGKILL
}

type serverSnapshot struct {
	epoch, seq uint64
	grid       protocol.Bitset
}

func (s *server) snapshot(t *testing.T) serverSnapshot {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cycleTimeout)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+s.addr+"/api/snapshot", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET /api/snapshot: %v\n%s", err, s.tail)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, protocol.MaxServerMessage+1))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/snapshot: %s %v", resp.Status, err)
	}
	sn, err := protocol.DecodeSnapshot(b)
	var out serverSnapshot
	if err == nil {
		err = sn.Bits(&out.grid)
	}
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	if h := resp.Header.Get("X-Seq"); h != strconv.FormatUint(sn.Seq, 10) {
		t.Fatalf("X-Seq %q, frame seq %d", h, sn.Seq)
	}
	out.epoch, out.seq = sn.Epoch, sn.Seq
	return out
}

// runLoad connects observers and loaders, lets the load run for d, kills
// the server with SIGKILL and returns the observers' views.
func runLoad(t *testing.T, srv *server, rng *rand.Rand, epoch uint64, d time.Duration) []*observer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cycleTimeout)
	url := "ws://" + srv.addr + "/ws"
	var wg sync.WaitGroup
	obs := make([]*observer, observers)
	ready := make(chan error, observers)
	for i := range obs {
		obs[i] = &observer{frames: map[uint64][]byte{}}
		wg.Add(1)
		go func() {
			defer wg.Done()
			obs[i].run(ctx, url, epoch, ready)
		}()
	}
	for range observers {
		if err := <-ready; err != nil {
			cancel()
			wg.Wait()
			t.Fatalf("observer: %v\n%s", err, srv.tail)
		}
	}
	for i := range loaders {
		seed := rng.Uint64()
		wg.Add(1)
		go func() {
			defer wg.Done()
			load(ctx, url, rand.New(rand.NewPCG(seed, uint64(i))))
		}()
	}
	time.Sleep(d)
	srv.kill(t) // drops every connection; frames already received still count as seen
	cancel()
	wg.Wait()
	for _, o := range obs {
		if o.err != nil {
			t.Fatalf("observer: %v", o.err)
		}
	}
	return obs
}

// observer is a client that follows the server (protocol.Follower, as the
// client does) and records each Delta frame it saw since its last
// Snapshot. Its fields are written only by run and read after run
// returns.
type observer struct {
	rep    protocol.Replica  // synced once a Snapshot arrived
	first  protocol.Bitset   // the grid at base, as the Snapshot gave it
	base   uint64            // seq of the last Snapshot applied
	frames map[uint64][]byte // Deltas base+1..rep.Seq
	err    error             // a protocol violation (not a dropped connection)
}

func (o *observer) run(ctx context.Context, url string, epoch uint64, ready chan<- error) {
	c, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		ready <- err
		return
	}
	defer c.CloseNow()
	c.SetReadLimit(protocol.MaxServerMessage)
	signalled := false
	follow := protocol.NewFollower(&o.rep) // as the client follows: a gap is a violation here
	for {
		_, b, err := c.Read(ctx)
		if err != nil {
			if !signalled {
				ready <- err
			}
			return // the server was killed
		}
		st, err := follow.Handle(b)
		if err != nil {
			o.err = err
			return
		}
		switch st.Head.Type {
		case protocol.TypeWelcome:
			if st.Head.Epoch != epoch {
				o.err = fmt.Errorf("welcome epoch %d, want %d", st.Head.Epoch, epoch)
				return
			}
		case protocol.TypeSnapshot:
			o.base = o.rep.Seq
			o.first = o.rep.Grid
			clear(o.frames)
			if !signalled {
				signalled = true
				ready <- nil
			}
		case protocol.TypeDelta:
			if !st.Skipped {
				o.frames[o.rep.Seq] = b // c.Read returns a fresh slice
			}
		}
	}
}

// load sends Sets of random boxes and values until ctx ends or the
// connection drops, discarding what the server sends.
func load(ctx context.Context, url string, rng *rand.Rand) {
	c, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		return
	}
	defer c.CloseNow()
	c.SetReadLimit(protocol.MaxServerMessage)
	go func() {
		for {
			if _, _, err := c.Read(ctx); err != nil {
				return
			}
		}
	}()
	tick := time.NewTicker(loadEvery)
	defer tick.Stop()
	var frame []byte
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		seen := map[uint32]bool{}
		changes := make([]protocol.Change, 0, boxesPerSet)
		for len(changes) < boxesPerSet {
			i := uint32(rng.IntN(protocol.Boxes))
			if !seen[i] {
				seen[i] = true
				changes = append(changes, protocol.Change{Index: i, Value: rng.IntN(2) == 0})
			}
		}
		slices.SortFunc(changes, func(a, b protocol.Change) int { return cmp.Compare(a.Index, b.Index) })
		frame, err = protocol.AppendSet(frame[:0], changes)
		if err == nil {
			err = c.Write(ctx, websocket.MessageBinary, frame)
		}
		if err != nil {
			return
		}
	}
}

// logTail keeps the server's last log lines for failure messages.
type logTail struct {
	mu    sync.Mutex
	lines []string
}

// Write takes one log line (serverproc writes whole lines).
func (l *logTail) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, strings.TrimSuffix(string(p), "\n"))
	if len(l.lines) > 40 {
		l.lines = l.lines[1:]
	}
	return len(p), nil
}

func (l *logTail) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b []byte
	for _, s := range l.lines {
		b = append(b, s...)
		b = append(b, '\n')
	}
	return string(b)
}

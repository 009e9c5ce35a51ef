package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/pause"
	"checkgrid/server/peer"

	"github.com/coder/websocket"
)

// Reconnect pacing for abusers (the only role that comes back after a
// close: a dropped well-behaved player is a result to report, not hide).
const (
	abuserBackoff = 250 * time.Millisecond
	stopBudget    = 15 * time.Second // for every player goroutine to end
)

// wsRun is one run of the real protocol: its players and what they count.
type wsRun struct {
	cfg      config
	url      string
	dial     *dialer
	ctr      *counters
	sent     *sendTimes
	lat      *histogram // toggle-to-seen, measurement window only
	vlat     *histogram // the same for timed viewers (viewerTimedEvery), from their AreaDeltas
	joinLat  *histogram // dial to Snapshot, every join
	initial  *protocol.Bitset
	progress io.Writer
	lastSeq  atomic.Int64 // highest in-order Delta seq an observer saw
	// stall is closed halfway through the window when -stall-frac is set:
	// the stalling watchers stop reading then.
	stall chan struct{}

	obsMu                                     sync.Mutex // observers' shared scratch and tallies
	obsIdx                                    []uint32
	obsLat                                    []time.Duration
	obsFrames, obsBytes, obsPayload, obsBoxes int64
}

// wsResult is what a ws run measured.
type wsResult struct {
	cfg                config
	window             time.Duration
	heldStart, heldEnd int64
	before, after      snapshot // counters at the window's edges
	events             map[string]int64
	seqAdvance         int64
	lat, join          quantiles
	vlat               quantiles // timed viewers' toggle-to-seen (their AreaDeltas)
	latBeforeStall     quantiles // -stall-frac: the window's first half, before the stall
	latBeforeHammer    quantiles // -history-hammer: the window's first half, before the hammer
	hammer             *hammer
	bytesPerChange     float64 // Delta frame bytes per box, as observed
	payloadPerChange   float64 // without the 13-byte header
	meanDelta          float64 // bytes per Delta frame
	seenPerSec         float64 // boxes flipped per second, as one observer sees them
	server, self       usage
	machine            float64       // cores busy on the whole box over the window
	metrics            serverMetrics // the server's own counters' increase over the window (nil: no -admin)
	ramped             serverMetrics // their increase from before the ramp to the window's start: memory held per connection
}

// usage is a process's CPU and memory over a run.
type usage struct {
	pid                        int
	cores                      float64 // CPU time ÷ wall time over the window
	rssBefore, rssHeld, rssEnd int64   // before the ramp, at the window's start, at its end
}

// runWS holds cfg's players against url for the ramp, settle and window,
// sampling serverPID (0: none) and itself. A wss:// url's certificate is
// checked against roots (nil: the system's).
func runWS(ctx context.Context, cfg config, url string, roots *x509.CertPool, serverPID int, progress io.Writer) (wsResult, error) {
	target, err := checkURL(url)
	if err != nil {
		return wsResult{}, err
	}
	r := &wsRun{
		cfg: cfg, url: url, dial: newDialer(cfg.sources, target, roots), ctr: newCounters(),
		sent: newSendTimes(), lat: newHistogram(), vlat: newHistogram(), joinLat: newHistogram(), progress: progress,
		stall: make(chan struct{}),
	}
	// One plain client reads the grid as it is, so clickers know which
	// value flips each of their boxes.
	seed, err := peer.Dial(ctx, url, peer.Options{Client: r.dial.clients[0]})
	if err != nil {
		return wsResult{}, fmt.Errorf("first connection: %w", err)
	}
	r.initial = &seed.Grid
	_ = seed.Close()

	res := wsResult{cfg: cfg}
	res.server.pid, res.self.pid = serverPID, os.Getpid()
	srv0, _ := sampleOpt(serverPID)
	self0, _ := sampleProc(os.Getpid())
	res.server.rssBefore, res.self.rssBefore = srv0.rss, self0.rss
	met0, err := scrapeMetrics(ctx, cfg.admin)
	if err != nil {
		r.logf("ws: %v", err)
	}

	pctx, stopPlayers := context.WithCancel(ctx)
	defer stopPlayers()
	var wg sync.WaitGroup
	roles := assignRoles(cfg)
	ranks := map[Role]int{}
	start := time.Now()
	r.logf("ws: ramping %d players over %v (%d observers, %d watchers, %d clickers, %d drawers, %d abusers)",
		len(roles), cfg.ramp, cfg.observers, cfg.watchers, cfg.clickers, cfg.drawers, cfg.abusers)
	for i, role := range roles {
		if at := start.Add(cfg.ramp * time.Duration(i) / time.Duration(len(roles))); !pause.For(pctx, time.Until(at)) {
			break
		}
		rank := ranks[role]
		ranks[role]++
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.player(pctx, i, role, rank)
		}()
	}
	r.logf("ws: ramp done in %v: %d held", time.Since(start).Round(time.Millisecond), r.ctr.held.Load())
	pause.For(ctx, cfg.settle)

	res.before = r.ctr.snapshot()
	res.heldStart = res.before.held
	seq0 := r.lastSeq.Load()
	r.lat.reset()
	r.vlat.reset()
	met1, err := scrapeMetrics(ctx, cfg.admin)
	if err != nil {
		r.logf("ws: %v", err)
	}
	if met0 != nil && met1 != nil {
		res.ramped = met1.sub(met0)
	}
	srv1, _ := sampleOpt(serverPID)
	self1, _ := sampleProc(os.Getpid())
	box1, _ := machineBusy()
	r.obsMu.Lock()
	ob0 := [4]int64{r.obsFrames, r.obsBytes, r.obsPayload, r.obsBoxes}
	r.obsMu.Unlock()
	profDone := make(chan error, 1)
	if cfg.cpuProfile != "" {
		go func() { profDone <- captureProfile(ctx, cfg.admin, cfg.cpuProfile, cfg.duration) }()
	} else {
		profDone <- nil
	}
	if cfg.stallFrac > 0 {
		// The same window in two halves: before and after a tenth (or
		// so) of the watchers stop reading, with the observers' latency
		// of each half.
		r.watch(ctx, cfg.duration/2)
		res.latBeforeStall = r.lat.quantiles()
		r.lat.reset()
		r.logf("ws: %d watchers stop reading now", cfg.stallers())
		close(r.stall)
		r.watch(ctx, cfg.duration-cfg.duration/2)
	} else if cfg.historyHammer > 0 {
		// The same window in two halves: without, then with clients
		// hammering the history API.
		r.watch(ctx, cfg.duration/2)
		res.latBeforeHammer = r.lat.quantiles()
		r.lat.reset()
		r.logf("ws: %d history clients start now", cfg.historyHammer)
		hctx, stopHammer := context.WithCancel(ctx)
		res.hammer = runHammer(hctx, cfg.historyHammer, historyBase(url), roots)
		r.watch(ctx, cfg.duration-cfg.duration/2)
		stopHammer()
	} else {
		r.watch(ctx, cfg.duration)
	}
	res.after = r.ctr.snapshot()
	srv2, _ := sampleOpt(serverPID)
	if met2, err := scrapeMetrics(ctx, cfg.admin); err == nil && met1 != nil && met2 != nil {
		res.metrics = met2.sub(met1)
	}
	if cfg.heapProfile != "" {
		if err := captureHeap(ctx, cfg.admin, cfg.heapProfile); err != nil {
			r.logf("ws: %v", err)
		} else {
			r.logf("ws: server heap profile in %s (go tool pprof -sample_index=inuse_space -top %s)", cfg.heapProfile, cfg.heapProfile)
		}
	}
	self2, _ := sampleProc(os.Getpid())
	box2, _ := machineBusy()
	res.machine = cores(box1, box2)
	res.window = srv2.at.Sub(srv1.at)
	if serverPID == 0 {
		res.window = self2.at.Sub(self1.at)
	}
	res.heldEnd = res.after.held
	res.seqAdvance = r.lastSeq.Load() - seq0
	res.lat, res.vlat, res.join = r.lat.quantiles(), r.vlat.quantiles(), r.joinLat.quantiles()
	res.server.cores, res.self.cores = cores(srv1, srv2), cores(self1, self2)
	res.server.rssHeld, res.server.rssEnd = srv1.rss, srv2.rss
	res.self.rssHeld, res.self.rssEnd = self1.rss, self2.rss
	r.obsMu.Lock()
	frames, bytes, payload, boxes := r.obsFrames-ob0[0], r.obsBytes-ob0[1], r.obsPayload-ob0[2], r.obsBoxes-ob0[3]
	r.obsMu.Unlock()
	if boxes > 0 {
		res.bytesPerChange = float64(bytes) / float64(boxes)
		res.payloadPerChange = float64(payload) / float64(boxes)
	}
	if cfg.observers > 0 {
		res.seenPerSec = rate(boxes, res.window) / float64(cfg.observers)
	}
	if frames > 0 {
		res.meanDelta = float64(bytes) / float64(frames)
	}

	if err := <-profDone; err != nil {
		r.logf("ws: %v", err)
	} else if cfg.cpuProfile != "" {
		r.logf("ws: server CPU profile in %s (go tool pprof -top %s)", cfg.cpuProfile, cfg.cpuProfile)
	}
	stopPlayers()
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(stopBudget):
		r.logf("ws: some players did not stop within %v", stopBudget)
	}
	res.events = r.ctr.snapshot().events
	return res, ctx.Err()
}

// watch waits out the window, printing a progress line every few seconds.
func (r *wsRun) watch(ctx context.Context, d time.Duration) {
	const every = 5 * time.Second
	end := time.Now().Add(d)
	prev := r.ctr.snapshot()
	for time.Until(end) > 0 {
		step := min(every, time.Until(end))
		if !pause.For(ctx, step) {
			return
		}
		cur := r.ctr.snapshot()
		r.logf("ws: held %d, %.0f deltas/s, %.0f KB/s, gaps %d",
			cur.held, float64(cur.deltas-prev.deltas)/step.Seconds(), float64(cur.bytes-prev.bytes)/step.Seconds()/1e3, cur.gaps)
		prev = cur
	}
}

// player runs one connection (an abuser: one after another) until ctx ends.
func (r *wsRun) player(ctx context.Context, i int, role Role, rank int) {
	rng := rand.New(rand.NewPCG(r.cfg.seed, uint64(i)+2))
	var ck *clicker
	if role == RoleClicker {
		ck = newClicker(rank, r.cfg.clickers, clickEnd(r.cfg), r.initial, rng)
	}
	for attempt := 0; ; attempt++ {
		label := role.String()
		abuse := Abuse((rank + attempt) % int(abuseKinds))
		if role == RoleAbuser {
			label += "/" + abuse.String()
		}
		err := r.session(ctx, i, role, rank, ck, abuse, rng)
		if ctx.Err() != nil {
			return
		}
		r.ctr.event(label+": "+err.Error(), 1)
		if role != RoleAbuser || !pause.For(ctx, abuserBackoff+time.Duration(rng.Int64N(int64(abuserBackoff)))) {
			return
		}
	}
}

// session is one connection: dial, join, then read (and act) until it
// ends. It returns a label for how it ended.
func (r *wsRun) session(ctx context.Context, i int, role Role, rank int, ck *clicker, abuse Abuse, rng *rand.Rand) error {
	t0 := time.Now()
	url := r.url
	var at protocol.Area
	switch {
	case role == RoleViewer:
		at = viewerArea(rng)
		url = protocol.Query{Version: protocol.Version2, Area: at}.URL(r.url)
	case role == RoleWatcher && r.cfg.pace:
		url = protocol.Query{Version: protocol.Version3}.URL(r.url)
	}
	var fc frameConn
	var conn *websocket.Conn // abusers only; everyone else speaks by hand
	var closeNow func()
	var err error
	if role != RoleAbuser {
		var rc *rawConn
		rc, err = r.dial.rawWS(ctx, i, url)
		if err == nil {
			fc, closeNow = rc, rc.close
		}
	} else {
		conn, err = r.dial.ws(ctx, i, r.url)
		if err == nil {
			fc, closeNow = libConn{conn}, func() { _ = conn.CloseNow() }
		}
	}
	if err != nil {
		if errors.Is(err, errRefused) {
			return err
		}
		return fmt.Errorf("dial failed")
	}
	stop := context.AfterFunc(ctx, closeNow)
	defer stop()
	defer closeNow()
	st := newStream(role)
	buf := make([]byte, watchBuf)
	if buf, err = r.join(fc, st, buf); err != nil {
		return errors.New(closeLabel(err))
	}
	r.joinLat.add(time.Since(t0))
	r.ctr.joined.Add(1)
	r.ctr.held.Add(1)
	defer r.ctr.held.Add(-1)
	if role == RoleViewer {
		r.ctr.vheld.Add(1)
		defer r.ctr.vheld.Add(-1)
	}

	wctx, stopWriter := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer stopWriter()
	if role >= RoleClicker && role != RoleViewer {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch role {
			case RoleClicker:
				r.runClicker(wctx, fc, ck, time.Duration(float64(time.Second)/r.cfg.clickRate), rng)
			case RoleDrawer:
				r.runDrawer(wctx, fc, rank, rand.New(rand.NewPCG(r.cfg.seed, uint64(i)+1<<32)))
			case RoleAbuser:
				r.runAbuser(wctx, conn, abuse, rank, st.maxSet(), rand.New(rand.NewPCG(r.cfg.seed, uint64(i)+1<<32)))
			}
		}()
	}
	if role == RoleViewer {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.runViewer(wctx, fc, rand.New(rand.NewPCG(r.cfg.seed, uint64(i)+2<<32)))
		}()
	}
	keep := role == RoleObserver || (role == RoleViewer && rank%viewerTimedEvery == 0)
	stall := r.stall
	if role != RoleWatcher || rank >= r.cfg.stallers() {
		stall = nil // never closed: this one reads to the end
	}
	for {
		select {
		case <-stall:
			<-ctx.Done() // stop reading; the server must cope
			return ctx.Err()
		default:
		}
		if buf, err = r.readOne(fc, st, buf, keep); err != nil {
			return errors.New(closeLabel(err))
		}
		if keep && st.lastFrame == protocol.TypeDelta {
			storeMax(&r.lastSeq, int64(st.follow.Seq()))
		}
	}
}

// logf prints a progress line unless -q.
func (r *wsRun) logf(format string, a ...any) {
	if r.progress != nil {
		fmt.Fprintf(r.progress, format+"\n", a...)
	}
}

// sampleOpt samples pid, or returns a zero sample for pid 0.
func sampleOpt(pid int) (procSample, error) {
	if pid == 0 {
		return procSample{at: time.Now()}, nil
	}
	return sampleProc(pid)
}

// storeMax raises v to n if n is larger.
func storeMax(v *atomic.Int64, n int64) {
	for {
		cur := v.Load()
		if n <= cur || v.CompareAndSwap(cur, n) {
			return
		}
	}
}

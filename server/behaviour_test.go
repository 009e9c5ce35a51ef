package main

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/peer"

	"github.com/coder/websocket"
)

// load sets random boxes through its own connection until ctx ends.
func load(ctx context.Context, t *testing.T, ts *testServer, boxesPerSet int, every time.Duration) (wait func()) {
	p := ts.dial(ctx)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // drain, so the loader itself is never the slow one
		defer wg.Done()
		for ctx.Err() == nil {
			if _, _, err := p.Conn.Read(ctx); err != nil {
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		r := rand.New(rand.NewPCG(7, 7))
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			ch := make([]protocol.Change, boxesPerSet)
			for j := range ch {
				ch[j] = protocol.Change{Index: uint32(r.IntN(protocol.Boxes - 1)), Value: r.IntN(2) == 0}
			}
			if err := p.Set(ctx, ch...); err != nil && ctx.Err() == nil {
				t.Errorf("loader: %v", err)
				return
			}
		}
	}()
	return wg.Wait
}

func TestJoinUnderLoadSeesNoGap(t *testing.T) {
	ts := startServer(t, append(looseLimits, "-rate", "65535", "-burst", "65535", "-tick", "10ms")...)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	lctx, stopLoad := context.WithCancel(ctx)
	waitLoad := load(lctx, t, ts, 50, 2*time.Millisecond)
	var peers []*peer.Peer
	var target atomic.Uint64
	var waits []func() error
	for range 20 {
		p := ts.dial(ctx) // Welcome + Snapshot at some S, mid-load
		peers = append(peers, p)
		waits = append(waits, readers(ctx, []*peer.Peer{p}, &target))
		time.Sleep(25 * time.Millisecond)
	}
	stopLoad()
	waitLoad()
	want, seq := settle(t, ctx, ts, &target, func() error {
		for _, w := range waits {
			if err := w(); err != nil {
				return err
			}
		}
		return nil
	})
	for i, p := range peers {
		if p.Seq != seq || p.Grid != *want {
			t.Fatalf("joiner %d: seq %d, differs from server at %d", i, p.Seq, seq)
		}
		if p.Frames(protocol.TypeDelta) == 0 {
			t.Fatalf("joiner %d saw no deltas under load", i)
		}
	}
}

func TestSameBoxBothSucceed(t *testing.T) {
	ts := startServer(t, looseLimits...)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, b := ts.dial(ctx), ts.dial(ctx)
	var deltas [][]uint32
	a.OnDelta = func(seq uint64, _ []byte, boxes []uint32) { deltas = append(deltas, slices.Clone(boxes)) }
	for _, p := range []*peer.Peer{a, b} {
		if err := p.Set(ctx, protocol.Change{Index: 4242, Value: true}); err != nil {
			t.Fatal(err)
		}
	}
	for !a.Grid.Get(4242) {
		if _, err := a.Next(ctx); err != nil {
			t.Fatal(err)
		}
	}
	converge(t, ctx, b, a.Seq)
	if !b.Grid.Get(4242) || a.Frames(protocol.TypeReject)+b.Frames(protocol.TypeReject) != 0 {
		t.Fatalf("box not checked for both or rejected: %v %d %d", b.Grid.Get(4242), a.Frames(protocol.TypeReject), b.Frames(protocol.TypeReject))
	}
	// Let the second Set land too, then check the box flipped exactly once.
	flip(t, ctx, a, 7)
	n := 0
	for _, d := range deltas {
		if slices.Contains(d, 4242) {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("box 4242 appeared in %d deltas, want 1 (set semantics)", n)
	}
}

func TestRateLimitedSetsGetRejects(t *testing.T) {
	ts := startServer(t, "-rate", "5", "-burst", "100", "-metrics-on-main")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p := ts.dial(ctx)
	var sent []uint32
	for s := range 3 {
		ch := make([]protocol.Change, 100)
		for j := range ch {
			ch[j] = protocol.Change{Index: uint32(s*1000 + j*3), Value: true}
			sent = append(sent, ch[j].Index)
		}
		if err := p.Set(ctx, ch...); err != nil {
			t.Fatal(err)
		}
	}
	for p.Frames(protocol.TypeReject) < 2 {
		if _, err := p.Next(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// Another player's flip orders a tick after every accepted box.
	flip(t, ctx, ts.dial(ctx), protocol.Boxes-2)
	if p.LastReject.Reason != protocol.RejectRate || p.LastReject.RetryAfterMS == 0 {
		t.Fatalf("reject %+v, want rate with a retry time", p.LastReject)
	}
	g, _ := ts.snapshot()
	// Tokens refill at 5/s, so a handful more than the burst may pass.
	accepted := 0
	for _, i := range sent {
		if g.Get(i) {
			accepted++
		}
		if g.Get(i) == slices.Contains(p.RejectedBoxes, i) {
			t.Fatalf("box %d: checked %v, rejected %v: every box is exactly one of the two", i, g.Get(i), slices.Contains(p.RejectedBoxes, i))
		}
	}
	if accepted < 100 || accepted > 110 {
		t.Fatalf("%d of 300 boxes accepted with burst 100", accepted)
	}
	if got := ts.metric(`checkgrid_rejected_boxes_total{reason="rate"}`); got != float64(300-accepted) {
		t.Fatalf("rejected metric %v, want %d", got, 300-accepted)
	}
}

func TestMalformedInputIsolated(t *testing.T) {
	ts := startServer(t, looseLimits...)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	good := ts.dial(ctx)
	seqBefore := flip(t, ctx, good, 10)
	before, _ := ts.snapshot()

	outOfRange := []byte{byte(protocol.TypeSet), 1, 0, 0, 0xff, 0xff, 0xf0} // b=0, first index 2^20-1
	valid, _ := protocol.AppendSet(nil, []protocol.Change{{Index: 20, Value: true}})
	cases := []struct {
		name string
		msg  []byte
		text bool
		code websocket.StatusCode
	}{
		{"unknown type", []byte{0x7e, 1, 2}, false, websocket.StatusCode(protocol.CloseProtocol)},
		{"server frame from client", protocol.AppendStats(nil, protocol.Stats{}), false, websocket.StatusCode(protocol.CloseProtocol)},
		{"truncated set", valid[:len(valid)-1], false, websocket.StatusCode(protocol.CloseProtocol)},
		{"trailing bytes", append(append([]byte{}, valid...), 0), false, websocket.StatusCode(protocol.CloseProtocol)},
		{"index out of range", outOfRange, false, websocket.StatusCode(protocol.CloseProtocol)},
		{"empty", []byte{}, false, websocket.StatusCode(protocol.CloseProtocol)},
		{"text message", []byte("hello"), true, websocket.StatusCode(protocol.CloseProtocol)},
		{"oversized", make([]byte, protocol.MaxClientMessage+1), false, websocket.StatusMessageTooBig},
	}
	for _, c := range cases {
		bad := ts.dial(ctx)
		typ := websocket.MessageBinary
		if c.text {
			typ = websocket.MessageText
		}
		if err := bad.Conn.Write(ctx, typ, c.msg); err != nil {
			if c.code != websocket.StatusMessageTooBig {
				t.Fatalf("%s: write: %v", c.name, err)
			}
			// Refused at the frame header: the server may close before
			// the client has written the whole payload, and the reset
			// can swallow the close frame; the server's count says why.
			deadline := time.Now().Add(5 * time.Second)
			for ts.metric(`checkgrid_disconnects_total{code="message_too_big"}`) < 1 && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if ts.metric(`checkgrid_disconnects_total{code="message_too_big"}`) < 1 {
				t.Errorf("%s: write failed (%v) and no message_too_big close was counted", c.name, err)
			}
			continue
		}
		var err error
		for err == nil {
			_, err = bad.Next(ctx)
		}
		if got := websocket.CloseStatus(err); got != c.code {
			t.Errorf("%s: closed with %v (%v), want %v", c.name, got, err, c.code)
		}
	}
	// The good client is still served, and nothing the bad ones sent
	// changed the grid.
	seqAfter := flip(t, ctx, good, 11)
	if seqAfter != seqBefore+1 {
		t.Fatalf("good client saw seq %d, want %d: the bad frames changed something", seqAfter, seqBefore+1)
	}
	after, _ := ts.snapshot()
	after.Flip(11)
	if *after != *before {
		t.Fatal("grid changed by malformed input")
	}
	if got := ts.metric("checkgrid_bad_frames_total"); got < 7 {
		t.Fatalf("bad frames counted %v, want ≥ 7", got)
	}
}

// slowDialer dials with a tiny receive buffer, so a client that stops
// reading backs the server up after a few KB instead of megabytes.
func slowDialer() *http.Client {
	d := &net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 2048) })
		return errors.Join(err, serr)
	}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
}

func heapMB() float64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc) / (1 << 20)
}

func TestSlowReaderIsResyncedOrDropped(t *testing.T) {
	ts := startServer(t, append(looseLimits, "-rate", "65535", "-burst", "65535", "-tick", "10ms", "-outbox", "8", "-write-timeout", "4s", "-sndbuf", "8192")...)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// A reader that pauses, then reads again: resynced, then in sync.
	pauser, err := peer.Dial(ctx, ts.WS, peer.Options{Client: slowDialer()})
	if err != nil {
		t.Fatal(err)
	}
	// A reader that never reads again: dropped as too slow.
	stuck, err := peer.Dial(ctx, ts.WS, peer.Options{Client: slowDialer()})
	if err != nil {
		t.Fatal(err)
	}
	defer stuck.Conn.CloseNow()
	others := []*peer.Peer{ts.dial(ctx), ts.dial(ctx), ts.dial(ctx)}
	var target atomic.Uint64
	wait := readers(ctx, others, &target)
	heap0 := heapMB()

	lctx, stopLoad := context.WithCancel(ctx)
	waitLoad := load(lctx, t, ts, 200, 5*time.Millisecond)
	// Both slow peers overflow their outboxes...
	deadline := time.Now().Add(30 * time.Second)
	for ts.metric(`checkgrid_drops_total{reason="outbox_full_delta"}`) < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if ts.metric(`checkgrid_drops_total{reason="outbox_full_delta"}`) < 2 {
		t.Fatal("slow peers' outbox overflows not counted")
	}
	// The pauser now reads again while load continues: it must get a
	// Resync and a Snapshot, then follow without a gap.
	pwait := readers(ctx, []*peer.Peer{pauser}, &target)
	// ...and the one that stays stuck past the write timeout is dropped.
	for ts.metric(`checkgrid_disconnects_total{code="too_slow"}`) < 1 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	heap1 := heapMB()
	if ts.metric(`checkgrid_disconnects_total{code="too_slow"}`) != 1 {
		t.Fatalf("too_slow disconnects = %v, want 1 (the stuck peer only)", ts.metric(`checkgrid_disconnects_total{code="too_slow"}`))
	}
	stopLoad()
	waitLoad()
	want, seq := settle(t, ctx, ts, &target, func() error {
		if err := pwait(); err != nil {
			return err
		}
		return wait()
	})
	for i, p := range append(others, pauser) {
		if p.Seq != seq || p.Grid != *want {
			t.Fatalf("peer %d at seq %d differs from the server at %d", i, p.Seq, seq)
		}
	}
	if pauser.Frames(protocol.TypeResync) < 1 {
		t.Fatalf("pausing peer got no Resync (drops: %v)", ts.metric("checkgrid_drops_total"))
	}
	if _, err := stuck.Next(ctx); err == nil {
		// Frames already in its socket buffer are fine; the connection
		// must end soon after them.
		for err == nil {
			_, err = stuck.Next(ctx)
		}
	}
	// The server's memory does not grow with a stuck client's backlog.
	if heap1-heap0 > 64 {
		t.Fatalf("heap grew from %.1f MB to %.1f MB under a stuck client", heap0, heap1)
	}
}

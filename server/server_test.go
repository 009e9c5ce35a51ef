package main

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/peer"
)

// looseLimits lets one loopback address run many test players.
var looseLimits = []string{"-max-conns-per-addr", "500", "-addr-rate", "65535", "-addr-burst", "65535", "-msg-rate", "100000", "-msg-burst", "100000", "-metrics-on-main"}

// converge reads frames until p has applied seq, failing on any error,
// including a seq gap.
func converge(t *testing.T, ctx context.Context, p *peer.Peer, seq uint64) {
	t.Helper()
	if err := p.WaitSeq(ctx, seq); err != nil {
		t.Fatalf("peer reading to seq %d (at %d): %v", seq, p.Seq, err)
	}
}

// flip makes one more Delta by flipping box i through p, and returns the
// seq at which p saw it.
func flip(t *testing.T, ctx context.Context, p *peer.Peer, i uint32) uint64 {
	t.Helper()
	want := !p.Grid.Get(i)
	if err := p.Set(ctx, protocol.Change{Index: i, Value: want}); err != nil {
		t.Fatal(err)
	}
	for p.Grid.Get(i) != want {
		if _, err := p.Next(ctx); err != nil {
			t.Fatalf("waiting for own flip of %d: %v", i, err)
		}
	}
	return p.Seq
}

// readers runs a reading goroutine per peer until the peer reaches the seq
// in target (0 = not yet known). The caller makes a Delta after setting
// target, so every reader wakes up to see it.
func readers(ctx context.Context, peers []*peer.Peer, target *atomic.Uint64) (wait func() error) {
	var wg sync.WaitGroup
	errs := make(chan error, len(peers))
	for _, p := range peers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				if t := target.Load(); t != 0 && p.Seq >= t {
					return
				}
				if _, err := p.Next(ctx); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	return func() error {
		wg.Wait()
		close(errs)
		return <-errs
	}
}

// settle makes the final Delta everyone must reach, and returns the
// server's grid and seq at it.
func settle(t *testing.T, ctx context.Context, ts *testServer, target *atomic.Uint64, wait func() error) (*protocol.Bitset, uint64) {
	t.Helper()
	s := ts.dial(ctx)
	seq := flip(t, ctx, s, protocol.Boxes-1)
	target.Store(seq + 1)
	if got := flip(t, ctx, s, protocol.Boxes-1); got != seq+1 {
		t.Fatalf("settling flip landed at seq %d, want %d (someone is still writing)", got, seq+1)
	}
	if err := wait(); err != nil {
		t.Fatalf("reader: %v", err)
	}
	g, at := ts.snapshot()
	if at != seq+1 {
		t.Fatalf("snapshot at %d, want %d", at, seq+1)
	}
	return g, at
}

func TestFiftyClientsConverge(t *testing.T) {
	ts := startServer(t, looseLimits...)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const n = 50
	peers := make([]*peer.Peer, n)
	for i := range peers {
		peers[i] = ts.dial(ctx)
	}
	var target atomic.Uint64
	wait := readers(ctx, peers, &target)
	// Each client sets random values on a small area, so they collide on
	// boxes, staying inside its burst.
	var wg sync.WaitGroup
	for i, p := range peers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(i), 99))
			for range 20 {
				ch := make([]protocol.Change, 1+r.IntN(5))
				for j := range ch {
					ch[j] = protocol.Change{Index: uint32(r.IntN(5000)), Value: r.IntN(2) == 0}
				}
				if err := p.Set(ctx, ch...); err != nil {
					t.Errorf("set: %v", err)
					return
				}
				time.Sleep(time.Duration(r.IntN(20)) * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	want, seq := settle(t, ctx, ts, &target, wait)
	if want.Count() == 0 {
		t.Fatal("nothing was set")
	}
	for i, p := range peers {
		if p.Seq != seq || p.Grid != *want {
			t.Fatalf("client %d at seq %d differs from the server at seq %d", i, p.Seq, seq)
		}
		if p.Frames(protocol.TypeReject) != 0 {
			t.Fatalf("client %d got %d rejects inside its burst", i, p.Frames(protocol.TypeReject))
		}
	}
}

package tally

import (
	"net/netip"
	"strconv"
	"testing"
	"time"
)

// TestWindows: a list covers the current window and the one before; what
// is older is gone; ties go by key.
func TestWindows(t *testing.T) {
	tl := New(time.Minute)
	t0 := time.Unix(1_000_000, 0)
	a, b := netip.MustParsePrefix("192.0.2.1/32"), netip.MustParsePrefix("192.0.2.2/32")
	tl.Count("p1", a, 3, 0, t0)
	tl.Count("p2", b, 3, 4, t0.Add(30*time.Second))
	tl.Count("p1", a, 1, 1, t0.Add(70*time.Second)) // the next window
	top := tl.Top(10, t0.Add(80*time.Second))
	if len(top.PlayersByToggled) != 2 || top.PlayersByToggled[0] != (Entry{"p1", Counts{4, 1}}) || top.PlayersByToggled[1] != (Entry{"p2", Counts{3, 4}}) {
		t.Fatalf("by toggled: %+v", top.PlayersByToggled)
	}
	if r := top.PlayersByRefused; len(r) != 2 || r[0].Key != "p2" {
		t.Fatalf("by refused: %+v", r)
	}
	// Two windows on, only the last window's counts are left.
	if top := tl.Top(10, t0.Add(150*time.Second)); len(top.PlayersByToggled) != 1 || top.PlayersByToggled[0] != (Entry{"p1", Counts{1, 1}}) {
		t.Fatalf("after two windows: %+v", top.PlayersByToggled)
	}
	if top := tl.Top(10, t0.Add(10*time.Minute)); len(top.PlayersByToggled) != 0 {
		t.Fatalf("long after: %+v", top.PlayersByToggled)
	}
}

// TestBounded: keys past the bound are counted as untracked, not kept.
func TestBounded(t *testing.T) {
	tl := New(time.Minute)
	now := time.Now()
	addr := netip.MustParsePrefix("192.0.2.1/32")
	for i := range shards*maxKeys + 5000 {
		tl.Count("p"+strconv.Itoa(i), addr, 1, 0, now)
	}
	top := tl.Top(1, now)
	kept := 0
	for i := range tl.players.shards {
		kept += len(tl.players.shards[i].cur)
	}
	if kept > shards*maxKeys || top.Untracked.Toggled != int64(shards*maxKeys+5000-kept) || top.AddressesByToggled[0].Toggled != shards*maxKeys+5000 {
		t.Fatalf("kept %d, untracked %+v, address %+v", kept, top.Untracked, top.AddressesByToggled)
	}
}

func BenchmarkCount(b *testing.B) {
	tl := New(time.Minute)
	addr := netip.MustParsePrefix("192.0.2.1/32")
	now := time.Now()
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = "player-" + strconv.Itoa(i)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			tl.Count(keys[i%len(keys)], addr, 1, 0, now)
			i++
		}
	})
}

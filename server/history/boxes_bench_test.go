package history

import (
	"math/rand/v2"
	"slices"
	"testing"

	"checkgrid/protocol"
	"checkgrid/server/store"
)

// Box index benchmark history: benchBoxTicks ticks of benchBoxPerTick
// random boxes each (a busy grid: 2,000 toggles/s at 200 ticks/s), 2M
// changes, written through a real Store.
const (
	benchBoxTicks   = 200_000
	benchBoxPerTick = 10
)

func writeBoxHistory(b *testing.B) (dir string, changes int) {
	b.Helper()
	dir = b.TempDir()
	s, st, err := store.Open(dir, store.Options{Sync: store.SyncInterval})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(21, 1))
	idx := make([]uint32, 0, benchBoxPerTick)
	var f []byte
	for range benchBoxTicks {
		idx = idx[:0]
		for range benchBoxPerTick {
			idx = append(idx, uint32(rng.IntN(protocol.Boxes)))
		}
		slices.Sort(idx)
		idx = slices.Compact(idx)
		changes += len(idx)
		f = commit(b, s, st, f[:0], idx)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	return dir, changes
}

// BenchmarkBoxIndexBuild: building the box index from a data directory's
// history (the page cache warm), the work a restarted server does on the
// first hover; reported per change replayed.
func BenchmarkBoxIndexBuild(b *testing.B) {
	dir, changes := writeBoxHistory(b)
	h := store.OpenHistory(dir)
	b.ResetTimer()
	for range b.N {
		var x boxIndex
		if done, err := x.catchUp(h, 1<<62); err != nil || !done {
			b.Fatalf("built %v: %v", done, err)
		}
	}
	ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(ns/float64(changes), "ns/change")
	b.ReportMetric(float64(changes)/(ns/1e9)/1e6, "Mchanges/s")
}

// BenchmarkBoxLookup: one /api/history/box answer's work once the index
// is built (nothing new to replay).
func BenchmarkBoxLookup(b *testing.B) {
	dir, _ := writeBoxHistory(b)
	h := store.OpenHistory(dir)
	var x boxIndex
	if _, err := x.catchUp(h, 1<<62); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(2, 2))
	b.ResetTimer()
	for range b.N {
		if _, err := x.lookup(h, uint32(rng.IntN(protocol.Boxes)), boxStepBytes); err != nil {
			b.Fatal(err)
		}
	}
}

package grid

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"

	"checkgrid/protocol"
)

func TestCollectCoalescesAndOrders(t *testing.T) {
	g := New()
	c := NewCollector(g)
	if got := c.Collect(nil); len(got) != 0 {
		t.Fatalf("idle collect = %v", got)
	}
	g.Set(70, true)
	g.Set(5, true)
	g.Set(999999, true)
	g.Set(6, true)
	g.Set(6, false) // flipped twice within the tick: not a change
	if g.Set(5, true) {
		t.Fatal("setting a checked box reported a change")
	}
	got := c.Collect(nil)
	if !slices.Equal(got, []uint32{5, 70, 999999}) {
		t.Fatalf("collect = %v", got)
	}
	if c.Checked() != 3 || g.Toggles() != 5 {
		t.Fatalf("checked %d toggles %d", c.Checked(), g.Toggles())
	}
	if got := c.Collect(nil); len(got) != 0 {
		t.Fatalf("second collect = %v", got)
	}
}

func TestRequeue(t *testing.T) {
	g := New()
	c := NewCollector(g)
	g.Set(10, true)
	g.Set(20, true)
	first := c.Collect(nil)
	c.Requeue(first) // as if the log append failed
	if c.Published().Get(10) || c.Checked() != 0 {
		t.Fatal("requeue left the boxes published")
	}
	g.Set(30, true)
	g.Set(20, false) // changed back meanwhile: no longer a change
	if got := c.Collect(nil); !slices.Equal(got, []uint32{10, 30}) {
		t.Fatalf("collect after requeue = %v", got)
	}
}

// TestConcurrentSetsMatchModel runs writers and the collector at once (run
// with -race): XORing every collected delta into a copy of the start state
// must give the final state.
func TestConcurrentSetsMatchModel(t *testing.T) {
	g := New()
	c := NewCollector(g)
	var replay protocol.Bitset
	var wg sync.WaitGroup
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var buf []uint32
		for {
			select {
			case <-stop:
				return
			default:
			}
			buf = c.Collect(buf[:0])
			for _, i := range buf {
				replay.Flip(i)
			}
		}
	}()
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 1))
			for range 100000 {
				g.Set(uint32(r.IntN(2000)), r.IntN(2) == 0)
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-done
	for _, i := range c.Collect(nil) {
		replay.Flip(i)
	}
	for i := range uint32(protocol.Boxes) {
		if replay.Get(i) != g.Get(i) {
			t.Fatalf("box %d: replayed %v, live %v", i, replay.Get(i), g.Get(i))
		}
	}
	if *c.Published() != replay || c.Checked() != replay.Count() {
		t.Fatal("published state differs from replayed deltas")
	}
}

func BenchmarkSet(b *testing.B) {
	g := New()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		g.Set(uint32(i*7919)%protocol.Boxes, i&1 == 0)
	}
}

func BenchmarkSetParallel(b *testing.B) {
	g := New()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		r := rand.New(rand.NewPCG(rand.Uint64(), 1))
		for pb.Next() {
			g.Set(uint32(r.IntN(protocol.Boxes)), r.IntN(2) == 0)
		}
	})
}

// BenchmarkTick is the tick's collect + encode for k changed boxes, with
// the cost of setting them excluded.
func BenchmarkTick(b *testing.B) {
	for _, k := range []int{10, 1000, 100000} {
		b.Run("k="+itoa(k), func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 2))
			idx := make([]uint32, k)
			for i := range idx {
				idx[i] = uint32(r.IntN(protocol.Boxes))
			}
			g := New()
			c := NewCollector(g)
			var buf []uint32
			var frame []byte
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				v := i&1 == 0
				for _, x := range idx {
					g.Set(x, v)
				}
				b.StartTimer()
				buf = c.Collect(buf[:0])
				frame, _ = protocol.AppendDelta(frame[:0], uint64(i+1), buf)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(k), "ns/change")
		})
	}
}

// BenchmarkSnapshotBuild encodes the published state as a joiner's
// Snapshot, at half density (the raw worst case) and sparse.
func BenchmarkSnapshotBuild(b *testing.B) {
	for _, p := range []float64{0.01, 0.5} {
		b.Run("density="+itoa(int(p*100))+"%", func(b *testing.B) {
			r := rand.New(rand.NewPCG(3, 4))
			g := New()
			for i := range uint32(protocol.Boxes) {
				if r.Float64() < p {
					g.Set(i, true)
				}
			}
			c := NewCollector(g)
			var frame []byte
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				frame = protocol.AppendSnapshot(frame[:0], 1, 1, c.Published())
			}
			b.ReportMetric(float64(len(frame)), "frame_B")
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

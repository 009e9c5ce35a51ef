package zone

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"checkgrid/protocol"
)

// BenchmarkTick: one tick of 200 flips (2,000 toggles/s at 10 Hz) against
// N clients zoomed in at random places (80×50 areas, the 64×40 view
// plus a margin), beside the naive split that checks every client against
// the flips. "random" spreads the flips over the grid; "corner" puts them
// all in the top-left 100×100 boxes, where few clients look: the index's
// cost follows the frames it emits, the naive one the clients. Reports
// frames emitted per tick.
func BenchmarkTick(b *testing.B) {
	for _, where := range []string{"random", "corner"} {
		for _, n := range []int{1000, 10000, 18000} {
			benchTick(b, where, n)
		}
	}
}

func benchTick(b *testing.B, where string, n int) {
	{
		r := rand.New(rand.NewPCG(3, 4))
		x, _ := New[int](40)
		areas := make([]protocol.Area, n)
		for c := range n {
			areas[c] = protocol.Area{X: uint16(r.IntN(921)), Y: uint16(r.IntN(951)), W: 80, H: 50}
			x.Subscribe(c, areas[c], 0)
		}
		ticks := make([][]uint32, 64)
		for i := range ticks {
			ticks[i] = randomFlips(r, 200)
			if where == "corner" {
				ticks[i] = cornerFlips(r, 200)
			}
		}
		b.Run(fmt.Sprintf("%s/index/clients=%d", where, n), func(b *testing.B) {
			frames := 0
			seq := uint64(1)
			for i := 0; i < b.N; i++ {
				seq++
				frames += x.Tick(seq, ticks[i%len(ticks)], func(int, []byte) bool { return true })
			}
			b.ReportMetric(float64(frames)/float64(b.N), "frames/tick")
		})
		b.Run(fmt.Sprintf("%s/naive/clients=%d", where, n), func(b *testing.B) {
			hits := 0
			for i := 0; i < b.N; i++ {
				for _, a := range areas {
					for _, f := range ticks[i%len(ticks)] {
						if a.Contains(f) {
							hits++
							break
						}
					}
				}
			}
			b.ReportMetric(float64(hits)/float64(b.N), "frames/tick")
		})
	}
}

// BenchmarkSubscribe: a client moving its area (unsubscribe, subscribe),
// what every applied Viewport costs the tick loop.
func BenchmarkSubscribe(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	x, _ := New[int](40)
	for c := range 10000 {
		x.Subscribe(c, protocol.Area{X: uint16(r.IntN(921)), Y: uint16(r.IntN(951)), W: 80, H: 50}, 0)
	}
	areas := make([]protocol.Area, 1024)
	for i := range areas {
		areas[i] = protocol.Area{X: uint16(r.IntN(921)), Y: uint16(r.IntN(951)), W: 80, H: 50}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		x.Subscribe(i%10000, areas[i%len(areas)], uint64(i))
	}
}

// BenchmarkPresence: encoding the map after 10,000 clients moved.
func BenchmarkPresence(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 8))
	x, _ := New[int](40)
	for c := range 10000 {
		x.Subscribe(c, protocol.Area{X: uint16(r.IntN(921)), Y: uint16(r.IntN(951)), W: 80, H: 50}, 0)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		x.presence.dirty = true
		x.Presence()
	}
}

// cornerFlips returns k distinct sorted boxes in the top-left 100×100.
func cornerFlips(r *rand.Rand, k int) []uint32 {
	seen := map[uint32]bool{}
	var out []uint32
	for len(out) < k {
		i := uint32(r.IntN(100)*protocol.GridWidth + r.IntN(100))
		if !seen[i] {
			seen[i] = true
			out = append(out, i)
		}
	}
	slices.Sort(out)
	return out
}

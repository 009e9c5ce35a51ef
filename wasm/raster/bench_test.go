package raster_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"checkgrid/protocol"
	"checkgrid/wasm/board"
	"checkgrid/wasm/raster"
)

// randomBoxes returns k distinct boxes, sorted.
func randomBoxes(r *rand.Rand, k int) []uint32 {
	seen := make(map[uint32]bool, k)
	out := make([]uint32, 0, k)
	for len(out) < k {
		i := uint32(r.IntN(protocol.Boxes))
		if !seen[i] {
			seen[i] = true
			out = append(out, i)
		}
	}
	slices.Sort(out)
	return out
}

// newBoard is a board and the follower that feeds it, as the session has.
func newBoard() (*board.Board, *protocol.Follower) {
	rep := new(protocol.Replica)
	return board.New(rep), protocol.NewFollower(rep)
}

// follow hands one frame to the follower and its step to the board.
func follow(bd *board.Board, f *protocol.Follower, frame []byte) error {
	st, err := f.Handle(frame)
	bd.Follow(st)
	return err
}

// BenchmarkApplyDelta measures what the client does with one Delta of k
// random flips: decode and XOR it into the board, then redraw and
// highlight those boxes in the state texture's pixels. The baseline is a
// plain clear of the same 4 MB pixel buffer, the least a "redraw
// everything" client would pay per frame.
func BenchmarkApplyDelta(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 5))
	var g protocol.Bitset
	snap := protocol.AppendSnapshot(nil, 1, 0, &g)
	for _, k := range []int{10, 1000, 100000} {
		b.Run(fmt.Sprintf("k=%d", k), func(b *testing.B) {
			// Two frames that flip the same boxes, so applying them in turn
			// keeps the board valid for any b.N.
			idx := randomBoxes(r, k)
			frames := make([][]byte, 2)
			bd, fol := newBoard()
			if err := follow(bd, fol, snap); err != nil {
				b.Fatal(err)
			}
			ras := raster.New()
			var changed []uint32
			b.ReportAllocs()
			b.ResetTimer()
			for n := range b.N {
				b.StopTimer()
				seq := uint64(n + 1)
				frames[n&1], _ = protocol.AppendDelta(frames[n&1][:0], seq, idx)
				b.StartTimer()
				if err := follow(bd, fol, frames[n&1]); err != nil {
					b.Fatal(err)
				}
				changed, _ = bd.Drain(changed[:0])
				// A tick every 50 ms: highlights expire as in the game.
				now := time.Duration(n) * 50 * time.Millisecond
				ras.Update(bd, changed, now)
				ras.Expire(now)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(k), "ns/change")
		})
	}
	b.Run("baseline_clear_pixels", func(b *testing.B) {
		pix := make([]byte, raster.Width*raster.Height*4)
		b.ReportAllocs()
		for b.Loop() {
			clear(pix)
		}
	})
}

// BenchmarkSnapshot measures joining: decode a Snapshot into the board and
// redraw the whole texture. Baseline: copying the same 4 MB of pixels.
func BenchmarkSnapshot(b *testing.B) {
	r := rand.New(rand.NewPCG(6, 6))
	for _, density := range []float64{0.001, 0.5} {
		var g protocol.Bitset
		for _, i := range randomBoxes(r, int(density*protocol.Boxes)) {
			g.Put(i, true)
		}
		f := protocol.AppendSnapshot(nil, 1, 9, &g)
		b.Run(fmt.Sprintf("density=%g_%dB", density, len(f)), func(b *testing.B) {
			bd, fol := newBoard()
			ras := raster.New()
			b.ReportAllocs()
			for b.Loop() {
				if err := follow(bd, fol, f); err != nil {
					b.Fatal(err)
				}
				bd.Drain(nil)
				ras.Fill(bd)
			}
		})
	}
	b.Run("baseline_copy_pixels", func(b *testing.B) {
		src := make([]byte, raster.Width*raster.Height*4)
		dst := make([]byte, len(src))
		b.ReportAllocs()
		for b.Loop() {
			copy(dst, src)
		}
	})
}

package web

import (
	"math/rand/v2"
	"testing"

	"checkgrid/protocol"
	"checkgrid/server/hub"
)

// BenchmarkGridImageRender: one render of /api/grid.png (decode the
// Snapshot, draw, PNG-encode, find the landing place) at three densities;
// png-bytes is the image's size.
func BenchmarkGridImageRender(b *testing.B) {
	for _, c := range []struct {
		name    string
		density float64
	}{{"empty", 0}, {"1pct", 0.01}, {"half", 0.5}} {
		b.Run(c.name, func(b *testing.B) {
			var g protocol.Bitset
			rng := rand.New(rand.NewPCG(1, 2))
			for i := range uint32(protocol.Boxes) {
				if rng.Float64() < c.density {
					g.Put(i, true)
				}
			}
			snap := hub.SnapshotInfo{Frame: protocol.AppendSnapshot(nil, 1, 7, &g), Epoch: 1, Seq: 7}
			gi := newGridImage(nil)
			var size int
			for b.Loop() {
				r, err := gi.render(snap)
				if err != nil {
					b.Fatal(err)
				}
				size = len(r.png)
			}
			b.ReportMetric(float64(size), "png-bytes")
		})
	}
}

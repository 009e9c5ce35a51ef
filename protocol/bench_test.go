package protocol

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// entropyBytesPerChange is log2 C(Boxes, k) / 8 / k: the least any code can
// spend per change, on average, for k uniformly random boxes.
func entropyBytesPerChange(k int) float64 {
	lg := func(x float64) float64 { v, _ := math.Lgamma(x); return v }
	bitsTotal := (lg(Boxes+1) - lg(float64(k)+1) - lg(float64(Boxes-k)+1)) / math.Ln2
	return bitsTotal / 8 / float64(k)
}

// deltaCases are the workloads of the protocol bars in DESIGN.md.
func deltaCases() []struct {
	name string
	idx  []uint32
} {
	r := rand.New(rand.NewPCG(42, 42))
	return []struct {
		name string
		idx  []uint32
	}{
		{"random_k=10", randomIndexes(r, 10)},
		{"random_k=1000", randomIndexes(r, 1000)},
		{"random_k=100000", randomIndexes(r, 100000)},
		{"line_k=200", lineIndexes(300, 400, 200)},
		{"vertical_line_k=200", verticalLine(500, 100, 200)},
	}
}

// verticalLine returns n boxes straight down from (x, y).
func verticalLine(x, y, n int) []uint32 {
	out := make([]uint32, n)
	for i := range out {
		out[i] = uint32((y+i)*GridWidth + x)
	}
	return out
}

func BenchmarkDeltaEncode(b *testing.B) {
	for _, c := range deltaCases() {
		b.Run(c.name, func(b *testing.B) {
			buf, _ := AppendDelta(nil, 1, c.idx)
			payload := len(buf) - DeltaHeaderSize
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				buf, _ = AppendDelta(buf[:0], uint64(i+1), c.idx)
			}
			k := float64(len(c.idx))
			b.ReportMetric(float64(payload)/k, "B/change")
			b.ReportMetric(entropyBytesPerChange(len(c.idx)), "bound_B/change")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/k, "ns/change")
		})
	}
}

func BenchmarkDeltaDecode(b *testing.B) {
	for _, c := range deltaCases() {
		b.Run(c.name, func(b *testing.B) {
			buf, _ := AppendDelta(nil, 1, c.idx)
			dst := make([]uint32, 0, len(c.idx))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				d, err := DecodeDelta(buf)
				if err != nil {
					b.Fatal(err)
				}
				if dst, err = d.AppendIndexes(dst[:0]); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(c.idx)), "ns/change")
		})
	}
}

func snapshotCases() []struct {
	name string
	g    *Bitset
} {
	r := rand.New(rand.NewPCG(7, 7))
	return []struct {
		name string
		g    *Bitset
	}{
		{"density=0%", new(Bitset)},
		{"density=0.1%", densityGrid(r, 0.001)},
		{"density=1%", densityGrid(r, 0.01)},
		{"density=50%", densityGrid(r, 0.5)},
		{"pixel_art", pixelArt()},
	}
}

func BenchmarkSnapshotEncode(b *testing.B) {
	for _, c := range snapshotCases() {
		b.Run(c.name, func(b *testing.B) {
			buf := AppendSnapshot(nil, 1, 1, c.g)
			s, _ := DecodeSnapshot(buf)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				buf = AppendSnapshot(buf[:0], 1, 1, c.g)
			}
			b.ReportMetric(float64(len(buf)), "frame_B")
			b.ReportMetric(float64(snapshotBound(c.g)), "bound_B")
			b.ReportMetric(float64(s.Encoding), "encoding")
		})
	}
}

func BenchmarkSnapshotDecode(b *testing.B) {
	for _, c := range snapshotCases() {
		b.Run(c.name, func(b *testing.B) {
			buf := AppendSnapshot(nil, 1, 1, c.g)
			var g Bitset
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				s, err := DecodeSnapshot(buf)
				if err != nil {
					b.Fatal(err)
				}
				if err := s.Bits(&g); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestSizesWithinBars fails if the packing drifts outside the DESIGN.md bars.
// Sizes are deterministic for a seed, so this is not a timed test.
func TestSizesWithinBars(t *testing.T) {
	for _, c := range deltaCases() {
		buf, err := AppendDelta(nil, 1, c.idx)
		if err != nil {
			t.Fatal(err)
		}
		per := float64(len(buf)-DeltaHeaderSize) / float64(len(c.idx))
		bound := entropyBytesPerChange(len(c.idx))
		t.Logf("%s: %.3f B/change, bound %.3f (%.1f%%)", c.name, per, bound, 100*(per/bound-1))
		if c.name[:6] == "random" && per > 1.10*bound {
			t.Errorf("%s: %.3f B/change is more than 10%% over the bound %.3f", c.name, per, bound)
		}
		if c.name == "line_k=200" && per > 0.25 {
			t.Errorf("%s: %.3f B/change, a drawn line should cost far less than random", c.name, per)
		}
	}
	for _, c := range snapshotCases() {
		buf := AppendSnapshot(nil, 1, 1, c.g)
		if limit := snapshotBound(c.g) + 64; len(buf) > limit {
			t.Errorf("%s: snapshot %d B, over min(raw, roaring)+64 = %d", c.name, len(buf), limit)
		}
		t.Logf("%s: snapshot frame %d B (min(raw, roaring) = %d)", c.name, len(buf), snapshotBound(c.g))
	}
}

// snapshotBound is min(raw, roaring with RunOptimize) for g, computed with
// the library directly, independent of AppendSnapshot's choice.
func snapshotBound(g *Bitset) int {
	rb := roaringFromDense(g)
	rb.RunOptimize()
	return min(BitsetBytes, int(rb.GetSerializedSizeInBytes()))
}

// BenchmarkDeltaBaselineJSON is the baseline for the Delta benchmarks: the
// same boxes as a JSON array of indexes, as One Million Checkboxes sent
// them, built with strconv appends (no reflection), so the ratio compares
// formats rather than JSON libraries.
func BenchmarkDeltaBaselineJSON(b *testing.B) {
	for _, c := range deltaCases() {
		b.Run(c.name, func(b *testing.B) {
			var buf []byte
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				buf = append(buf[:0], '[')
				for j, x := range c.idx {
					if j > 0 {
						buf = append(buf, ',')
					}
					buf = strconv.AppendUint(buf, uint64(x), 10)
				}
				buf = append(buf, ']')
			}
			k := float64(len(c.idx))
			b.ReportMetric(float64(len(buf))/k, "B/change")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/k, "ns/change")
		})
	}
}

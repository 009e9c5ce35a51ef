package store

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"checkgrid/protocol"
)

// Restart workload: a full grid (random, 50% density, so the checkpoint is
// the 125 KB raw encoding) plus benchTicks logged ticks of benchFlips
// random flips each, the restart-time goal's scenario.
const (
	benchTicks = 100_000
	benchFlips = 10
)

// randomFrames makes n Delta frames for seqs first, first+1, … of k random
// flips each, and the grid they produce from g.
func randomFrames(tb testing.TB, rng *rand.Rand, g *protocol.Bitset, first uint64, n, k int) [][]byte {
	tb.Helper()
	frames := make([][]byte, n)
	idx := make([]uint32, k)
	for i := range frames {
		for j := range idx {
			idx[j] = uint32(rng.IntN(protocol.Boxes))
		}
		slices.Sort(idx)
		idx = slices.Compact(idx)
		f, err := protocol.AppendDelta(nil, first+uint64(i), idx)
		if err != nil {
			tb.Fatal(err)
		}
		for _, x := range idx {
			g.Flip(x)
		}
		frames[i] = f
		idx = idx[:k]
	}
	return frames
}

// BenchmarkOpen measures restart: lock, read the checkpoint, replay
// benchTicks records, open the segment for append, Close.
func BenchmarkOpen(b *testing.B) {
	dir := b.TempDir()
	rng := rand.New(rand.NewPCG(30, 30))
	st := &State{Epoch: 7, Seq: 1000, Toggles: 1 << 30}
	for i := range st.Grid {
		st.Grid[i] = rng.Uint64()
	}
	if err := writeFileAtomic(dir, checkpointName(st.Seq), encodeCheckpoint(nil, st, 1, Chain{})); err != nil {
		b.Fatal(err)
	}
	want := *st
	frames := randomFrames(b, rng, &want.Grid, st.Seq+1, benchTicks, benchFlips)
	var enc recordEncoder
	prev := prevRecord{seq: st.Seq, toggles: st.Toggles}
	log := appendSegmentHeader(nil, prev)
	for i, f := range frames {
		want.Toggles += benchFlips
		log = enc.appendRecord(log, prev, want.Toggles, int64(i+1), f)
		prev = prevRecord{seq: prev.seq + 1, toggles: want.Toggles, time: int64(i + 1)}
	}
	want.Seq = st.Seq + benchTicks
	// An older segment wholly before the checkpoint is skipped, as after a
	// crash between a checkpoint and its pruning.
	writeFile(b, filepath.Join(dir, segmentName(st.Seq+1)), log)
	b.ResetTimer()
	for b.Loop() {
		s, got, err := Open(dir, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if got.Seq != want.Seq || got.Grid != want.Grid || got.Toggles != want.Toggles {
			b.Fatal("recovered state differs")
		}
		s.Close()
	}
	b.ReportMetric(float64(len(log))/(1<<20), "log-MiB")
}

// BenchmarkAppend measures one tick's Append in the default mode: write
// plus fsync of one record on the benchmark's temp directory.
func BenchmarkAppend(b *testing.B) {
	for _, k := range []int{benchFlips, 1000} {
		b.Run(flipsName(k), func(b *testing.B) {
			s, st := openT(b, b.TempDir(), Options{})
			defer s.Close()
			frames := randomFrames(b, rand.New(rand.NewPCG(31, 31)), &st.Grid, 1, b.N, k)
			b.ResetTimer()
			for i, f := range frames {
				if err := s.Append(uint64(i+1), uint64(i*k), f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRawWriteFsync is Append's baseline: the same record bytes
// written and fsynced to a plain file, with no checks.
func BenchmarkRawWriteFsync(b *testing.B) {
	for _, k := range []int{benchFlips, 1000} {
		b.Run(flipsName(k), func(b *testing.B) {
			var g protocol.Bitset
			frames := randomFrames(b, rand.New(rand.NewPCG(31, 31)), &g, 1, b.N, k)
			f, err := os.Create(filepath.Join(b.TempDir(), "raw"))
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			var buf []byte
			var enc recordEncoder
			b.ResetTimer()
			for i, fr := range frames {
				buf = enc.appendRecord(buf[:0], prevRecord{seq: uint64(i), time: int64(i)}, uint64(k*(i+1)), int64(i+1), fr)
				if _, err := f.Write(buf); err != nil {
					b.Fatal(err)
				}
				if err := f.Sync(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCheckpoint measures a checkpoint of a full (50% random) grid:
// encode, write, fsync, rename, fsync the directory, prune.
func BenchmarkCheckpoint(b *testing.B) {
	s, st := openT(b, b.TempDir(), Options{})
	defer s.Close()
	rng := rand.New(rand.NewPCG(32, 32))
	for j := range st.Grid {
		st.Grid[j] = rng.Uint64()
	}
	var scratch protocol.Bitset
	frames := randomFrames(b, rng, &scratch, 1, b.N, 1)
	var idx []uint32
	b.ResetTimer()
	for i, f := range frames {
		b.StopTimer()
		st.Seq, st.Toggles = uint64(i+1), uint64(i+1)
		if err := s.Append(st.Seq, st.Toggles, f); err != nil {
			b.Fatal(err)
		}
		d, _ := protocol.DecodeDelta(f)
		idx, _ = d.AppendIndexes(idx[:0])
		for _, x := range idx {
			st.Grid.Flip(x)
		}
		b.StartTimer()
		if err := s.Checkpoint(st); err != nil {
			b.Fatal(err)
		}
	}
}

func flipsName(k int) string {
	if k == benchFlips {
		return "flips=10"
	}
	return "flips=1000"
}

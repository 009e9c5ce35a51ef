package store

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"checkgrid/protocol"
)

// History workload: a day's worth of ticks at the 2,000 toggles/s
// is 1.7 M ticks of 100 changes at 20 ticks/s; historyTicks is a slice of
// it (about 20 minutes, 2.4 M changes), enough for many keyframes. Changes
// are uniformly random over the grid: the worst case for both the Deltas
// (entropy ≈ 1.84 B/change at 100 a tick) and the keyframes (a noise grid
// takes the 125 KB raw encoding once half the boxes are set).
const (
	historyTicks = 24_000
	historyFlips = 100
)

// buildHistory appends historyTicks random ticks through a Store with the
// default options, checkpointing whenever it asks, and returns the
// directory, the changes logged and the bytes of Delta payload among them.
func buildHistory(b *testing.B) (dir string, keptPerChange, payloadPerChange float64) {
	var changes, frameBytes int64
	b.Helper()
	dir = b.TempDir()
	s, st, err := Open(dir, Options{Sync: SyncInterval})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(50, 50))
	// Start from a noise grid, as after a long day: keyframes at full size.
	st = &State{Epoch: st.Epoch}
	for i := range st.Grid {
		st.Grid[i] = rng.Uint64()
	}
	// The first tick sets the noise grid (one big Delta), then the day.
	var idx []uint32
	for i := range uint32(protocol.Boxes) {
		if st.Grid.Get(i) {
			idx = append(idx, i)
		}
	}
	first, err := protocol.AppendDelta(nil, 1, idx)
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Append(1, uint64(len(idx)), first); err != nil {
		b.Fatal(err)
	}
	st.Seq, st.Toggles = 1, uint64(len(idx))
	if err := s.Checkpoint(st); err != nil {
		b.Fatal(err)
	}
	base := dirBytes(b, dir)
	for t := range historyTicks {
		fr := randomFrames(b, rng, &st.Grid, st.Seq+1, 1, historyFlips)[0]
		d, _ := protocol.DecodeDelta(fr)
		st.Seq++
		st.Toggles += uint64(d.Count)
		changes += int64(d.Count)
		frameBytes += int64(d.PayloadSize())
		if err := s.Append(st.Seq, st.Toggles, fr); err != nil {
			b.Fatal(err)
		}
		if s.WantCheckpoint() || t == historyTicks-1 {
			if err := s.Checkpoint(st); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	kept := float64(dirBytes(b, dir)-base) / float64(changes)
	payload := float64(frameBytes) / float64(changes)
	// Reported after the timed loop: ResetTimer drops metrics.
	return dir, kept, payload
}

func dirBytes(b *testing.B, dir string) int64 {
	var n int64
	ents, err := os.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range ents {
		if fi, err := e.Info(); err == nil && e.Name() != lockName {
			n += fi.Size()
		}
	}
	return n
}

// BenchmarkOpenLongHistory: restart with the whole kept history on disk
// (default keyframe and segment sizes): recovery reads the newest keyframe
// and the log after it only. Also reports the kept bytes per change.
func BenchmarkOpenLongHistory(b *testing.B) {
	dir, kept, payload := buildHistory(b)
	keys := seqFiles(b, dir, checkpointPrefix, checkpointSuffix)
	mib := float64(dirBytes(b, dir)) / (1 << 20)
	// Leave the log past the newest keyframe, as after a crash.
	s, st, err := Open(dir, Options{})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(51, 51))
	for _, fr := range randomFrames(b, rng, &st.Grid, st.Seq+1, 5000, historyFlips) {
		st.Seq++
		d, _ := protocol.DecodeDelta(fr)
		st.Toggles += uint64(d.Count)
		if err := s.Append(st.Seq, st.Toggles, fr); err != nil {
			b.Fatal(err)
		}
	}
	s.Close()
	b.ResetTimer()
	for b.Loop() {
		s, _, err := Open(dir, Options{})
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
	b.ReportMetric(kept, "kept-B/change")
	b.ReportMetric(payload, "payload-B/change")
	b.ReportMetric(float64(len(keys)), "keyframes")
	b.ReportMetric(mib, "history-MiB")
}

// BenchmarkGridAtRandomSeq: the grid at a random seq of the kept history,
// from a fresh reader each time (no cached headers): one keyframe read plus
// at most CheckpointBytes of replay.
func BenchmarkGridAtRandomSeq(b *testing.B) {
	dir, _, _ := buildHistory(b)
	rng := rand.New(rand.NewPCG(52, 52))
	b.ResetTimer()
	for b.Loop() {
		h := OpenHistory(filepath.Clean(dir))
		h.head = &Head{Seq: historyTicks + 1}
		if _, _, err := h.GridAt(1 + rng.Uint64N(historyTicks)); err != nil {
			b.Fatal(err)
		}
	}
}

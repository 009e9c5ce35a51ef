package store

import (
	"encoding/binary"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"checkgrid/protocol"
)

// The synthetic day: 2,000 toggles/s at 20 ticks/s, 100 changes a
// tick, from clickers and drawers (tools/loadgen's roles): half one box
// anywhere (a clicker), half lines of drawLine adjacent boxes in a row (a
// drawer's Set, loadgen's -draw-len), 2 or 3 lines a tick.
const (
	ticksPerHour = 20 * 3600
	dayTicks     = 24 * ticksPerHour
	dayClicks    = 50
	drawLine     = 20
	// tickPool: distinct ticks generated once and cycled (their seqs
	// rewritten), so a week is written at the speed of Append.
	tickPool = 8192
)

// tickGen appends one tick's boxes (unsorted, may repeat) to idx.
type tickGen func(rng *rand.Rand, tick int, idx []uint32) []uint32

func uniformTick(rng *rand.Rand, _ int, idx []uint32) []uint32 {
	for range historyFlips {
		idx = append(idx, uint32(rng.IntN(protocol.Boxes)))
	}
	return idx
}

func dayMixTick(rng *rand.Rand, tick int, idx []uint32) []uint32 {
	for range dayClicks {
		idx = append(idx, uint32(rng.IntN(protocol.Boxes)))
	}
	lines := 2 + tick%2 // 2.5 lines of 20: 50 boxes a tick on average
	for range lines {
		row, col := rng.IntN(protocol.GridHeight), rng.IntN(protocol.GridWidth-drawLine)
		for i := range drawLine {
			idx = append(idx, uint32(row*protocol.GridWidth+col+i))
		}
	}
	return idx
}

// pool makes tickPool Delta frames of gen (seq 0: writeTicks sets it)
// and their boxes.
func pool(b *testing.B, gen tickGen) (frames [][]byte, boxes [][]uint32) {
	rng := rand.New(rand.NewPCG(60, 60))
	for t := range tickPool {
		idx := gen(rng, t, nil)
		slices.Sort(idx)
		idx = slices.Compact(idx)
		f, err := protocol.AppendDelta(nil, 0, idx)
		if err != nil {
			b.Fatal(err)
		}
		frames, boxes = append(frames, f), append(boxes, idx)
	}
	return frames, boxes
}

// historyStats are what writeTicks wrote.
type historyStats struct {
	changes, payload, frames int64
	base, kept               int64 // directory bytes after the first keyframe, and in all
	records                  int64 // bytes of segments written after the first keyframe (records, headers)
	keyframes                int64 // bytes of keyframes after the first
	// oldKept is what the version-2 format (a 36-byte header and the frame
	// per record, a 16-byte segment header, a keyframe every
	// CheckpointBytes of that log, each the size of this run's) would hold
	// for the same ticks.
	oldKept int64
	took    time.Duration
}

// v2RecordHeader is the version-2 record's fixed part, for oldKept.
const v2RecordHeader = 36

// writeTicks writes ticks ticks of gen through a Store with the default
// options (keyframes every 2 MiB, 8 MiB segments; SyncInterval, as an
// fsync per tick would only slow the synthesis), from a 50 %-random grid
// (a long-running grid: every keyframe takes the 125 KB raw encoding).
func writeTicks(b *testing.B, dir string, ticks int, gen tickGen) historyStats {
	start := time.Now()
	frames, boxes := pool(b, gen)
	s, st, err := Open(dir, Options{Sync: SyncInterval, SyncInterval: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(61, 61))
	var all []uint32
	for i := range uint32(protocol.Boxes) {
		if rng.IntN(2) == 0 {
			all = append(all, i)
			st.Grid.Flip(i)
		}
	}
	first, err := protocol.AppendDelta(nil, 1, all)
	if err == nil {
		err = s.Append(1, uint64(len(all)), first)
	}
	st.Seq, st.Toggles = 1, uint64(len(all))
	if err == nil {
		err = s.Checkpoint(st)
	}
	if err != nil {
		b.Fatal(err)
	}
	hs := historyStats{base: dirBytes(b, dir), records: -segmentBytes(b, dir)}
	var oldLog, oldPending, oldSeg, oldKeys int64
	for t := range ticks {
		i := t % tickPool
		fr := frames[i]
		binary.LittleEndian.PutUint64(fr[1:], st.Seq+1)
		for _, x := range boxes[i] {
			st.Grid.Flip(x)
		}
		st.Seq++
		st.Toggles += uint64(len(boxes[i]))
		hs.changes += int64(len(boxes[i]))
		hs.frames += int64(len(fr))
		hs.payload += int64(len(fr) - protocol.DeltaHeaderSize)
		if err := s.Append(st.Seq, st.Toggles, fr); err != nil {
			b.Fatal(err)
		}
		if oldSeg == 0 || oldSeg >= DefaultSegmentBytes {
			oldLog, oldSeg = oldLog+segmentHeaderSizeV2, segmentHeaderSizeV2
		}
		rec := int64(v2RecordHeader + len(fr))
		oldLog, oldSeg, oldPending = oldLog+rec, oldSeg+rec, oldPending+rec
		if oldPending >= DefaultCheckpointBytes || t == ticks-1 {
			oldKeys, oldPending = oldKeys+1, 0
		}
		if s.WantCheckpoint() || t == ticks-1 {
			if err := s.Checkpoint(st); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	hs.kept = dirBytes(b, dir)
	ents, err := os.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	var keys int64
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil {
			b.Fatal(err)
		}
		switch seq, ok := parseSeqName(e.Name(), checkpointPrefix, checkpointSuffix); {
		case ok && seq > 1:
			hs.keyframes += fi.Size()
			keys++
		}
	}
	hs.records += segmentBytes(b, dir)
	hs.oldKept = oldLog + oldKeys*hs.keyframes/max(keys, 1)
	hs.took = time.Since(start)
	return hs
}

func segmentBytes(b *testing.B, dir string) int64 {
	ents, err := os.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	var n int64
	for _, e := range ents {
		if fi, err := e.Info(); err == nil && strings.HasPrefix(e.Name(), segmentPrefix) {
			n += fi.Size()
		}
	}
	return n
}

// BenchmarkHistoryStorageDay: the kept history of a synthetic day (1.73 M
// ticks, 172.8 M changes) per change, everything on disk after the first
// keyframe (records, segment headers, keyframes), beside the Delta bytes
// the players were sent for the same changes (frames with their 13-byte
// header) and the payload alone; for the clickers-and-drawers day and for
// uniformly random changes (the worst case), same options.
func BenchmarkHistoryStorageDay(b *testing.B) {
	for _, w := range []struct {
		name string
		gen  tickGen
	}{{"clickers-drawers", dayMixTick}, {"uniform", uniformTick}} {
		b.Run(w.name, func(b *testing.B) {
			hs := writeTicks(b, b.TempDir(), dayTicks, w.gen)
			for b.Loop() {
			}
			per := func(n int64) float64 { return float64(n) / float64(hs.changes) }
			b.ReportMetric(per(hs.kept-hs.base), "kept-B/change")
			b.ReportMetric(per(hs.oldKept), "v2-kept-B/change")
			b.ReportMetric(per(hs.records), "records-B/change")
			b.ReportMetric(per(hs.keyframes), "keyframes-B/change")
			b.ReportMetric(per(hs.frames), "delta-B/change")
			b.ReportMetric(per(hs.payload), "payload-B/change")
			b.ReportMetric(float64(hs.kept)/(1<<20), "history-MiB")
			b.ReportMetric(hs.took.Seconds(), "synth-s")
		})
	}
}

// BenchmarkGridAtHistoryLength: the grid at a random seq of the whole
// kept history, an hour, a day and a week of the clickers-and-drawers day
// long (written through a Store: 72 k, 1.7 M and 12 M ticks), each time
// from a fresh reader (a cold process: no listing, no cached keyframe
// header; the files are in the page cache, having just been written).
// The reader's head is set to the last seq, as a server's Store gives it.
// One op is one grid; p50 and p99 over the ops are reported.
func BenchmarkGridAtHistoryLength(b *testing.B) {
	for _, l := range []struct {
		name  string
		ticks int
	}{{"hour", ticksPerHour}, {"day", dayTicks}, {"week", 7 * dayTicks}} {
		b.Run(l.name, func(b *testing.B) {
			dir := b.TempDir()
			hs := writeTicks(b, dir, l.ticks, dayMixTick)
			last := uint64(l.ticks) + 1
			keys := len(seqFiles(b, dir, checkpointPrefix, checkpointSuffix))
			rng := rand.New(rand.NewPCG(62, 62))
			var took []time.Duration
			for b.Loop() {
				seq := 1 + rng.Uint64N(last)
				t0 := time.Now()
				h := OpenHistory(filepath.Clean(dir))
				h.head = &Head{Seq: last}
				st, _, err := h.GridAt(seq)
				took = append(took, time.Since(t0))
				if err != nil || st.Seq != seq {
					b.Fatalf("grid at %d: %v", seq, err)
				}
			}
			slices.Sort(took)
			q := func(p float64) float64 { return took[int(p*float64(len(took)-1))].Seconds() * 1e3 }
			b.ReportMetric(q(0.5), "p50-ms")
			b.ReportMetric(q(0.99), "p99-ms")
			b.ReportMetric(float64(keys), "keyframes")
			b.ReportMetric(float64(hs.kept)/(1<<20), "history-MiB")
			b.ReportMetric(hs.took.Seconds(), "synth-s")
		})
	}
}

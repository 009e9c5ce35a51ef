package history

import (
	"errors"
	"sync"
	"testing"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/store"
)

// TestBoxIndexInSteps: over a real data directory, an index built in
// steps of a few hundred bytes answers ErrIndexing (the API's 503) until
// it reaches the head, from several goroutines at once, and then every
// box's count and last change equal the records'.
func TestBoxIndexInSteps(t *testing.T) {
	dir, rec := buildPlayback(t)
	h := store.OpenHistory(dir)
	counts := make([]uint32, protocol.Boxes)
	lasts := make([]uint64, protocol.Boxes)
	var touched []uint32
	for seq := 1; seq < len(rec.frames); seq++ {
		d, err := protocol.DecodeDelta(rec.frames[seq])
		if err != nil {
			t.Fatal(err)
		}
		idx, err := d.AppendIndexes(nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range idx {
			if counts[i] == 0 {
				touched = append(touched, i)
			}
			counts[i]++
			lasts[i] = uint64(seq)
		}
	}
	var x boxIndex
	const step = 512 // bytes of frames a lookup replays
	var wg sync.WaitGroup
	steps := make([]int, 4)
	for g := range steps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				_, err := x.lookup(h, 0, step)
				if err == nil {
					return
				}
				if !errors.Is(err, ErrIndexing) {
					t.Error(err)
					return
				}
				steps[g]++
			}
		}()
	}
	wg.Wait()
	if n := steps[0] + steps[1] + steps[2] + steps[3]; n < 10 {
		t.Fatalf("built in %d steps of %d bytes: the test wants many", n, step)
	}
	for _, i := range append(touched, 999_999) {
		info, err := x.lookup(h, i, step)
		if err != nil {
			t.Fatal(err)
		}
		if info.Seq != playbackTicks || info.Since != 0 || info.Changes != counts[i] || info.LastSeq != lasts[i] {
			t.Fatalf("box %d: %+v, the records say %d changes, the last at %d", i, info, counts[i], lasts[i])
		}
		if (info.LastTime == nil) != (lasts[i] == 0) || (info.LastTime != nil && info.LastTime.Unix() != rec.times[lasts[i]]/1e9) {
			t.Fatalf("box %d: last_time %v, record %d committed at %d", i, info.LastTime, lasts[i], rec.times[lasts[i]])
		}
	}
}

// TestBoxIndexAfterHistoryDropped: history bounded by -history-max-bytes
// drops records the index has not read; the index then starts again from
// the new first keyframe (since moves) and counts what is kept.
func TestBoxIndexAfterHistoryDropped(t *testing.T) {
	dir := t.TempDir()
	s, st, err := store.Open(dir, store.Options{Sync: store.SyncInterval, SegmentBytes: 300, CheckpointBytes: 2000,
		CheckpointEvery: time.Hour, HistoryMaxBytes: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const hot = 4242 // flipped by every record
	write := func(n int) {
		for k := range n {
			commit(t, s, st, nil, []uint32{hot, uint32(5000 + k%50)})
		}
	}
	h := store.NewHistory(dir, s.Head)
	var x boxIndex
	check := func(when string) uint64 {
		t.Helper()
		info, err := x.lookup(h, hot, 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		hd := s.Head()
		if info.Since != hd.First || info.Seq != hd.Seq || uint64(info.Changes) != hd.Seq-hd.First || info.LastSeq != hd.Seq {
			t.Fatalf("%s: %+v; history holds %d..%d, every record flipped the box", when, info, hd.First, hd.Seq)
		}
		return info.Since
	}
	write(200)
	before := check("first")
	write(600)
	if after := check("after history dropped what the index had not read"); after <= before || s.Head().Dropped.Keyframes == 0 {
		t.Fatalf("since %d, then %d; dropped %+v: the test wants history dropped past the index", before, after, s.Head().Dropped)
	}
}

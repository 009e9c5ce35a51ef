package store

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"checkgrid/protocol"
)

func TestAppendReopenRecoversEverything(t *testing.T) {
	for _, mode := range []SyncMode{SyncEveryAppend, SyncInterval} {
		t.Run(mode.String(), func(t *testing.T) {
			dir := t.TempDir()
			rng := rand.New(rand.NewPCG(1, uint64(mode)))
			s, m := newModel(t, dir, Options{Sync: mode})
			m.appendN(t, s, rng, 200, 20)
			closeT(t, s)
			s, st := openT(t, dir, Options{Sync: mode})
			sameState(t, st, &m.st)
			m.appendN(t, s, rng, 10, 3) // appends continue after recovery
			closeT(t, s)
			_, st = openT(t, dir, Options{})
			sameState(t, st, &m.st)
		})
	}
}

func TestEpochPersistsAndIsRandom(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	s1, st1 := openT(t, a, Options{})
	s2, st2 := openT(t, b, Options{})
	if st1.Epoch == st2.Epoch {
		t.Fatalf("two fresh directories share epoch %d", st1.Epoch)
	}
	closeT(t, s1)
	closeT(t, s2)
	_, again := openT(t, a, Options{})
	if again.Epoch != st1.Epoch {
		t.Fatalf("epoch %d after reopen, was %d", again.Epoch, st1.Epoch)
	}
}

func TestSecondOpenIsLocked(t *testing.T) {
	dir := t.TempDir()
	s, _ := openT(t, dir, Options{})
	if _, _, err := Open(dir, Options{}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
	closeT(t, s)
	s, _ = openT(t, dir, Options{})
	closeT(t, s)
}

func TestAppendRejectsBadArguments(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(2, 2))
	s, m := newModel(t, dir, Options{})
	m.appendN(t, s, rng, 3, 5)
	frame4, _ := protocol.AppendDelta(nil, 4, []uint32{1, 2})
	frame9, _ := protocol.AppendDelta(nil, 9, []uint32{1, 2})
	for _, c := range []struct {
		name    string
		seq, tg uint64
		frame   []byte
		want    error
	}{
		{"repeat seq", 3, m.st.Toggles, m.frames[2], ErrSeq},
		{"skip seq", 5, m.st.Toggles + 2, frame4, ErrSeq},
		{"frame seq differs", 4, m.st.Toggles + 2, frame9, ErrInvalid},
		{"toggles decrease", 4, m.st.Toggles - 1, frame4, ErrInvalid},
		{"not a delta", 4, m.st.Toggles + 2, []byte{0x06, 0x01}, ErrInvalid},
		{"truncated delta", 4, m.st.Toggles + 2, frame4[:len(frame4)-1], ErrInvalid},
	} {
		if err := s.Append(c.seq, c.tg, c.frame); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	closeT(t, s)
	if err := s.Append(4, m.st.Toggles+2, frame4); !errors.Is(err, ErrClosed) {
		t.Errorf("append after close: %v, want ErrClosed", err)
	}
	_, st := openT(t, dir, Options{})
	sameState(t, st, &m.st) // nothing rejected reached the disk
}

// TestHistoryKeptAndBounded: by default every keyframe and segment stays;
// with HistoryMaxBytes the oldest go, whole, the newest two keyframes and
// the log from the older one stay, the drop is reported in the Head, and
// the directory recovers to the same state either way.
func TestHistoryKeptAndBounded(t *testing.T) {
	for _, bound := range []int64{0, 4000} {
		dir := t.TempDir()
		rng := rand.New(rand.NewPCG(3, 3))
		// Tiny segments: every few records rotate, so dropping has work.
		opt := Options{SegmentBytes: 300, CheckpointBytes: 2000, CheckpointEvery: time.Hour, HistoryMaxBytes: bound}
		s, m := newModel(t, dir, opt)
		ckpts := []uint64{0}
		for round := range 6 {
			for !s.WantCheckpoint() {
				m.appendN(t, s, rng, 1, 10)
			}
			st := m.st
			if round%2 == 1 {
				m.appendN(t, s, rng, 2, 10) // checkpoint a state older than the log's end
			}
			if err := s.Checkpoint(&st); err != nil {
				t.Fatal(err)
			}
			ckpts = append(ckpts, st.Seq)
			if s.WantCheckpoint() {
				t.Fatal("WantCheckpoint right after a checkpoint")
			}
		}
		kept := seqFiles(t, dir, checkpointPrefix, checkpointSuffix)
		segs := seqFiles(t, dir, segmentPrefix, segmentSuffix)
		head := s.Head()
		if bound == 0 {
			if !slices.Equal(kept, ckpts) || segs[0] != 1 || head.First != 0 || head.Dropped.Bytes != 0 {
				t.Fatalf("keep forever: keyframes %v of %v, segments from %d, head %+v", kept, ckpts, segs[0], head)
			}
		} else {
			if len(kept) < 2 || kept[0] == 0 || kept[len(kept)-1] != ckpts[len(ckpts)-1] || head.First != kept[0] {
				t.Fatalf("bounded: keyframes %v of %v, head first %d", kept, ckpts, head.First)
			}
			if segs[0] > kept[0]+1 || (len(segs) > 1 && segs[1] <= kept[0]+1) {
				t.Fatalf("segments %v: want the log kept from just before seq %d", segs, kept[0]+1)
			}
			if d := head.Dropped; d.Keyframes != len(ckpts)-len(kept) || d.Segments == 0 || d.Reason != "history-max-bytes" {
				t.Fatalf("dropped %+v; keyframes kept %v of %v", d, kept, ckpts)
			}
			var total int64
			for _, e := range must(os.ReadDir(dir)) {
				if strings.HasPrefix(e.Name(), checkpointPrefix) || strings.HasPrefix(e.Name(), segmentPrefix) {
					total += must(e.Info()).Size()
				}
			}
			// Over the bound only by what must stay: two keyframes and the
			// log from the older.
			if len(kept) > 2 && total > bound {
				t.Fatalf("%d bytes kept with %d keyframes, bound %d", total, len(kept), bound)
			}
		}
		closeT(t, s)
		_, st := openT(t, dir, opt)
		sameState(t, st, &m.st)
	}
}

func TestCheckpointRejectsStateThatDisagrees(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(4, 4))
	s, m := newModel(t, dir, Options{})
	m.appendN(t, s, rng, 5, 10)
	bad := m.st
	bad.Toggles++
	future := m.st
	future.Seq++
	other := m.st
	other.Epoch++
	for name, st := range map[string]*State{"toggles": &bad, "future seq": &future, "epoch": &other} {
		if err := s.Checkpoint(st); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if err := s.Checkpoint(&m.st); err != nil {
		t.Fatal(err)
	}
	older := m.st
	older.Seq = 2
	if err := s.Checkpoint(&older); !errors.Is(err, ErrInvalid) {
		t.Errorf("checkpoint older than the last: %v, want ErrInvalid", err)
	}
	closeT(t, s)
}

func TestStaleTempCheckpointIsRemoved(t *testing.T) {
	dir := t.TempDir()
	s, m := newModel(t, dir, Options{})
	m.appendN(t, s, rand.New(rand.NewPCG(5, 5)), 3, 4)
	closeT(t, s)
	tmp := filepath.Join(dir, checkpointName(9)+tmpSuffix)
	writeFile(t, tmp, []byte("half a checkpoint"))
	_, st := openT(t, dir, Options{})
	sameState(t, st, &m.st)
	if _, err := os.Stat(tmp); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("stale temp checkpoint: %v", err)
	}
}

func TestObserveFsync(t *testing.T) {
	n := 0
	s, m := newModel(t, t.TempDir(), Options{ObserveFsync: func(time.Duration) { n++ }})
	m.appendN(t, s, rand.New(rand.NewPCG(6, 6)), 4, 4)
	closeT(t, s)
	if n != 4 {
		t.Fatalf("ObserveFsync called %d times for 4 appends", n)
	}
}

func TestReadLog(t *testing.T) {
	dir := t.TempDir()
	s, m := newModel(t, dir, Options{SegmentBytes: 200})
	m.appendN(t, s, rand.New(rand.NewPCG(7, 7)), 12, 10)
	var got []uint64
	err := ReadLog(dir, 4, func(seq, toggles uint64, frame []byte) error {
		if string(frame) != string(m.frames[seq-1]) {
			t.Errorf("seq %d: frame differs", seq)
		}
		got = append(got, seq)
		return nil
	})
	closeT(t, s)
	if err != nil || len(got) != 8 || got[0] != 5 || got[7] != 12 {
		t.Fatalf("ReadLog after 4: seqs %v, err %v; want 5..12", got, err)
	}
}

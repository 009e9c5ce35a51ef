package store

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
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

func TestCheckpointPrunesAndRecovers(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(3, 3))
	// Tiny segments: every few records rotate, so pruning has work.
	opt := Options{SegmentBytes: 300, CheckpointBytes: 2000, CheckpointEvery: time.Hour}
	s, m := newModel(t, dir, opt)
	var ckpts []uint64
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
	if len(kept) != 2 || kept[0] != ckpts[4] || kept[1] != ckpts[5] {
		t.Fatalf("checkpoints kept %v, want the last two of %v", kept, ckpts)
	}
	segs := seqFiles(t, dir, segmentPrefix, segmentSuffix)
	if segs[0] > ckpts[4]+1 || len(segs) < 2 || segs[1] <= ckpts[4]+1 {
		t.Fatalf("segments %v: want the log kept from just before seq %d", segs, ckpts[4]+1)
	}
	closeT(t, s)
	_, st := openT(t, dir, opt)
	sameState(t, st, &m.st)
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

package store

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"checkgrid/protocol"
)

// model is what a correct store must recover: the state built by applying
// every delta the test appended.
type model struct {
	st     State
	frames [][]byte // frames[i] is the frame of seq i+1
}

// nextDelta makes a Delta frame of k random flips for seq st.Seq+1 and
// applies it to the model.
func (m *model) nextDelta(t testing.TB, rng *rand.Rand, k int) (seq, toggles uint64, frame []byte) {
	t.Helper()
	set := make(map[uint32]bool, k)
	for len(set) < k {
		set[uint32(rng.IntN(protocol.Boxes))] = true
	}
	idx := make([]uint32, 0, k)
	for i := range set {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	seq = m.st.Seq + 1
	frame, err := protocol.AppendDelta(nil, seq, idx)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range idx {
		m.st.Grid.Flip(x)
	}
	m.st.Seq = seq
	m.st.Toggles += uint64(k) + uint64(rng.IntN(3))*2 // coalesced double flips count too
	m.frames = append(m.frames, frame)
	return seq, m.st.Toggles, frame
}

// appendN appends n random deltas through s, keeping the model in step.
func (m *model) appendN(t testing.TB, s *Store, rng *rand.Rand, n, k int) {
	t.Helper()
	for range n {
		seq, tg, fr := m.nextDelta(t, rng, k)
		if err := s.Append(seq, tg, fr); err != nil {
			t.Fatalf("append %d: %v", seq, err)
		}
	}
}

func openT(t testing.TB, dir string, opt Options) (*Store, *State) {
	t.Helper()
	s, st, err := Open(dir, opt)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return s, st
}

func closeT(t testing.TB, s *Store) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
}

// sameState fails unless got is the model's state.
func sameState(t testing.TB, got, want *State) {
	t.Helper()
	if got.Epoch != want.Epoch || got.Seq != want.Seq || got.Toggles != want.Toggles {
		t.Fatalf("state epoch %d seq %d toggles %d, want epoch %d seq %d toggles %d",
			got.Epoch, got.Seq, got.Toggles, want.Epoch, want.Seq, want.Toggles)
	}
	if got.Grid != want.Grid {
		t.Fatalf("grid at seq %d differs from the model", got.Seq)
	}
}

// newModel opens a fresh store in dir and starts a model from its state.
func newModel(t testing.TB, dir string, opt Options) (*Store, *model) {
	t.Helper()
	s, st := openT(t, dir, opt)
	if st.Seq != 0 || st.Epoch == 0 || st.Toggles != 0 || st.Grid.Count() != 0 {
		t.Fatalf("fresh state: epoch %d seq %d toggles %d checked %d", st.Epoch, st.Seq, st.Toggles, st.Grid.Count())
	}
	return s, &model{st: *st}
}

// asCorrupt fails unless err is a *CorruptError about file at offset.
func asCorrupt(t testing.TB, err error, file string, off int64) {
	t.Helper()
	var ce *CorruptError
	if !errors.As(err, &ce) || !errors.Is(err, ErrCorrupt) {
		t.Fatalf("got %v, want ErrCorrupt in %s at offset %d", err, file, off)
	}
	if ce.File != file || ce.Offset != off {
		t.Fatalf("corruption reported in %s at offset %d (%v), want %s at offset %d", ce.File, ce.Offset, err, file, off)
	}
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// copyDir copies the regular files of src into a new temp dir.
func copyDir(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		writeFile(t, filepath.Join(dst, e.Name()), readFile(t, filepath.Join(src, e.Name())))
	}
	return dst
}

func seqFiles(t testing.TB, dir, prefix, suffix string) []uint64 {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return listSeqFiles(names, prefix, suffix)
}

// cutState fails unless got is the model's state under a new epoch: what
// recovery returns after it cut something.
func cutState(t testing.TB, got, want *State) {
	t.Helper()
	if got.Epoch == want.Epoch || got.Epoch == 0 {
		t.Fatalf("epoch %d after recovery cut something, was %d: want a new one", got.Epoch, want.Epoch)
	}
	w := *want
	w.Epoch = got.Epoch
	sameState(t, got, &w)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// recordSpan is one record of a segment file: where it lies and what it
// reads as.
type recordSpan struct {
	off, end int64
	r        record // frame copied
}

// segmentRecords reads every record of the segment at path (as the last
// segment: a torn tail ends it).
func segmentRecords(t testing.TB, path string) []recordSpan {
	t.Helper()
	var spans []recordSpan
	res, err := scanSegment(path, true, 0, func(off int64, r record) error {
		if n := len(spans); n > 0 {
			spans[n-1].end = off
		}
		r.frame, r.boxes = append([]byte(nil), r.deltaFrame()...), nil
		spans = append(spans, recordSpan{off: off, r: r})
		return nil
	})
	if err != nil {
		t.Fatalf("scan %s: %v", path, err)
	}
	if n := len(spans); n > 0 {
		spans[n-1].end = res.end
	}
	return spans
}

// encodeSegment writes records as a version-3 segment following prev.
func encodeSegment(prev prevRecord, recs []record) []byte {
	var enc recordEncoder
	b := appendSegmentHeader(nil, prev)
	for _, r := range recs {
		b = enc.appendRecord(b, prev, r.toggles, r.time, r.frame)
		prev = prevRecord{seq: prev.seq + 1, toggles: r.toggles, time: r.time}
	}
	return b
}

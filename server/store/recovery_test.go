package store

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// logFixture is a closed store directory with records 1..n in one segment,
// the model after each record, and each record's offset.
type logFixture struct {
	dir     string
	states  []State // states[i] = model after seq i
	offsets []int64 // offsets[i] = offset of record seq i+1; offsets[n] = file size
	frames  [][]byte
	seg     string
}

func newLogFixture(t *testing.T, n, k int) *logFixture {
	t.Helper()
	f := &logFixture{dir: t.TempDir()}
	rng := rand.New(rand.NewPCG(10, uint64(n)))
	s, m := newModel(t, f.dir, Options{})
	f.states = append(f.states, m.st)
	for range n {
		m.appendN(t, s, rng, 1, k)
		f.states = append(f.states, m.st)
	}
	closeT(t, s)
	f.seg = segmentName(1)
	f.frames = m.frames
	spans := segmentRecords(t, f.path(f.seg))
	for i, sp := range spans {
		if string(sp.r.frame) != string(m.frames[i]) {
			t.Fatalf("record %d reads back as %x, appended %x", i+1, sp.r.frame, m.frames[i])
		}
		f.offsets = append(f.offsets, sp.off)
	}
	off := spans[len(spans)-1].end
	f.offsets = append(f.offsets, off)
	if got := int64(len(readFile(t, f.path(f.seg)))); len(spans) != n || got != off {
		t.Fatalf("segment holds %d records in %d bytes, want %d in %d", len(spans), got, n, off)
	}
	return f
}

func (f *logFixture) path(name string) string { return filepath.Join(f.dir, name) }

// TestTornTailIsCut: every prefix of the last record, and zero-filled tails,
// recover to the state before that record, cut the file back to the record
// boundary, and accept the lost seq again.
func TestTornTailIsCut(t *testing.T) {
	const n = 4
	fx := newLogFixture(t, n, 40) // a last record of about 80 bytes
	full := readFile(t, fx.path(fx.seg))
	last := fx.offsets[n-1]
	type tc struct {
		name string
		data []byte
		want int // seq recovered
	}
	var cases []tc
	for cut := last; cut < int64(len(full)); cut++ {
		cases = append(cases, tc{name: "prefix", data: full[:cut], want: n - 1})
	}
	zeros := func(k int) []byte { return make([]byte, k) }
	cases = append(cases,
		tc{"zeros after the last record", append(append([]byte{}, full...), zeros(100)...), n},
		tc{"zeros after a whole sector", append(append([]byte{}, full...), zeros(4096)...), n},
		tc{"last record all zeros", append(append([]byte{}, full[:last]...), zeros(len(full)-int(last))...), n - 1},
	)
	// Zeros that start inside a record but not at a sector boundary cannot
	// come from a cut write: corruption, by the rule in doc.go.
	{
		dir := copyDir(t, fx.dir)
		if len(full) > sectorSize {
			t.Fatalf("fixture of %d bytes crosses a sector", len(full))
		}
		writeFile(t, filepath.Join(dir, fx.seg), append(append([]byte{}, full[:last+10]...), zeros(len(full)-int(last))...))
		_, _, err := Open(dir, Options{})
		asCorrupt(t, err, fx.seg, last)
	}
	// A record cut at a sector boundary: the sectors after it were never
	// written and read back as zeros.
	{
		pad := newLogFixture(t, 1, 400) // one record of ~560 bytes crosses offset 512
		b := readFile(t, pad.path(pad.seg))
		if len(b) <= sectorSize {
			t.Fatalf("fixture record of %d bytes does not cross a sector", len(b))
		}
		clear(b[sectorSize:])
		dir := copyDir(t, pad.dir)
		writeFile(t, filepath.Join(dir, pad.seg), b)
		_, st := openT(t, dir, Options{})
		cutState(t, st, &pad.states[0])
	}
	for _, c := range cases {
		dir := copyDir(t, fx.dir)
		seg := filepath.Join(dir, fx.seg)
		writeFile(t, seg, c.data)
		s, st, err := Open(dir, Options{})
		if err != nil {
			t.Fatalf("%s (%d bytes): %v", c.name, len(c.data), err)
		}
		// Anything cut starts a new epoch: the seq of a cut record will
		// be reused for other content. A file that ends on a record
		// boundary has nothing to cut.
		if int64(len(c.data)) == fx.offsets[c.want] {
			sameState(t, st, &fx.states[c.want])
		} else {
			cutState(t, st, &fx.states[c.want])
		}
		epoch := st.Epoch
		if got := int64(len(readFile(t, seg))); got != fx.offsets[c.want] {
			t.Fatalf("%s (%d bytes): file cut to %d, want %d", c.name, len(c.data), got, fx.offsets[c.want])
		}
		// The lost record can be appended again, and then survives, in the
		// new epoch, which a clean reopen keeps.
		if c.want < n {
			if err := s.Append(uint64(n), fx.states[n].Toggles, fx.frameOf(t, n)); err != nil {
				t.Fatalf("%s: re-append: %v", c.name, err)
			}
		}
		closeT(t, s)
		_, st = openT(t, dir, Options{})
		want := fx.states[n]
		want.Epoch = epoch
		sameState(t, st, &want)
	}
	// A clean log keeps its epoch.
	{
		_, st := openT(t, copyDir(t, fx.dir), Options{})
		sameState(t, st, &fx.states[n])
	}
}

// frameOf returns the Delta frame appended for seq.
func (f *logFixture) frameOf(_ *testing.T, seq int) []byte { return f.frames[seq-1] }

// TestFlippedByteIsCorruption: flipping any byte of a record that is
// followed by another (or of any record in a segment that is not the last)
// fails Open with ErrCorrupt naming the file and the record's offset.
func TestFlippedByteIsCorruption(t *testing.T) {
	const n = 3
	fx := newLogFixture(t, n, 10)
	full := readFile(t, fx.path(fx.seg))
	for seq := 1; seq <= n; seq++ {
		for i := fx.offsets[seq-1]; i < fx.offsets[seq]; i++ {
			b := append([]byte{}, full...)
			b[i] ^= 0xff
			dir := copyDir(t, fx.dir)
			writeFile(t, filepath.Join(dir, fx.seg), b)
			_, _, err := Open(dir, Options{})
			asCorrupt(t, err, fx.seg, fx.offsets[seq-1])
			if got := readFile(t, filepath.Join(dir, fx.seg)); string(got) != string(b) {
				t.Fatalf("seq %d byte %d: Open changed the corrupt segment", seq, i)
			}
		}
	}
}

// TestFlippedByteInEarlierSegment: damage in a segment that is not the last
// is corruption even where it would be a torn tail in the last one.
func TestFlippedByteInEarlierSegment(t *testing.T) {
	dir := t.TempDir()
	s, m := newModel(t, dir, Options{SegmentBytes: 1}) // one record per segment
	m.appendN(t, s, rand.New(rand.NewPCG(11, 11)), 3, 10)
	closeT(t, s)
	seg2 := filepath.Join(dir, segmentName(2))
	b := readFile(t, seg2)
	for name, data := range map[string][]byte{
		"cut short":  b[:len(b)-1],
		"flipped":    append(append([]byte{}, b[:50]...), append([]byte{b[50] ^ 1}, b[51:]...)...),
		"zero tail":  append(append([]byte{}, b...), 0, 0, 0),
		"all zeroes": make([]byte, len(b)),
	} {
		d := copyDir(t, dir)
		writeFile(t, filepath.Join(d, segmentName(2)), data)
		_, _, err := Open(d, Options{})
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
	}
}

// TestSeqGapsAreCorruption: a missing segment, a segment renamed, or a
// record out of order stop recovery.
func TestSeqGapsAreCorruption(t *testing.T) {
	dir := t.TempDir()
	s, m := newModel(t, dir, Options{SegmentBytes: 1})
	m.appendN(t, s, rand.New(rand.NewPCG(12, 12)), 4, 10)
	closeT(t, s)

	d := copyDir(t, dir)
	os.Remove(filepath.Join(d, segmentName(3)))
	_, _, err := Open(d, Options{})
	asCorrupt(t, err, segmentName(4), 0)

	d = copyDir(t, dir)
	os.Rename(filepath.Join(d, segmentName(4)), filepath.Join(d, segmentName(5)))
	_, _, err = Open(d, Options{})
	asCorrupt(t, err, segmentName(5), 0)

	// Record 3 stored in segment 2's place: checksums hold, the first seq
	// its header names does not.
	d = copyDir(t, dir)
	writeFile(t, filepath.Join(d, segmentName(2)), readFile(t, filepath.Join(dir, segmentName(3))))
	_, _, err = Open(d, Options{})
	asCorrupt(t, err, segmentName(2), 12)

	// Segments without any checkpoint.
	d = copyDir(t, dir)
	os.Remove(filepath.Join(d, checkpointName(0)))
	if _, _, err = Open(d, Options{}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("log without checkpoint: %v, want ErrCorrupt", err)
	}
}

// ckptFixture: a directory whose newest checkpoint is at seq 6, with an
// older valid one at seq 3 and the log from seq 1. A history bound of one
// byte drops every keyframe but the newest two (checkpoint 0 here).
func ckptFixture(t *testing.T) (dir string, want State) {
	dir = t.TempDir()
	rng := rand.New(rand.NewPCG(13, 13))
	s, m := newModel(t, dir, Options{HistoryMaxBytes: 1})
	m.appendN(t, s, rng, 3, 10)
	if err := s.Checkpoint(&m.st); err != nil {
		t.Fatal(err)
	}
	m.appendN(t, s, rng, 3, 10)
	if err := s.Checkpoint(&m.st); err != nil {
		t.Fatal(err)
	}
	m.appendN(t, s, rng, 2, 10)
	closeT(t, s)
	if got := seqFiles(t, dir, checkpointPrefix, checkpointSuffix); len(got) != 2 || got[0] != 3 || got[1] != 6 {
		t.Fatalf("checkpoints %v, want [3 6]", got)
	}
	return dir, m.st
}

// TestFlippedCheckpointByte: with no older checkpoint to fall back to,
// every flipped byte of the checkpoint fails Open with ErrCorrupt naming it;
// with one (and the log reaching back to it), recovery falls back, ends at
// the same state and quarantines the bad file.
func TestFlippedCheckpointByte(t *testing.T) {
	dir, want := ckptFixture(t)
	name := checkpointName(6)
	b := readFile(t, filepath.Join(dir, name))
	for i := range b {
		bad := append([]byte{}, b...)
		bad[i] ^= 0xff

		d := copyDir(t, dir)
		os.Remove(filepath.Join(d, checkpointName(3)))
		writeFile(t, filepath.Join(d, name), bad)
		_, _, err := Open(d, Options{})
		var ce *CorruptError
		if !errors.As(err, &ce) || ce.File != name {
			t.Fatalf("byte %d flipped, no fallback: %v, want ErrCorrupt in %s", i, err, name)
		}

		d = copyDir(t, dir)
		writeFile(t, filepath.Join(d, name), bad)
		s, st, err := Open(d, Options{})
		if err != nil {
			t.Fatalf("byte %d flipped, fallback: %v", i, err)
		}
		cutState(t, st, &want)
		closeT(t, s)
		if _, err := os.Stat(filepath.Join(d, name+".bad")); err != nil {
			t.Fatalf("byte %d flipped: bad checkpoint not quarantined: %v", i, err)
		}
	}
}

// TestFallbackNeedsTheLog: a bad newest checkpoint whose predecessor the log
// no longer reaches fails, naming the newest.
func TestFallbackNeedsTheLog(t *testing.T) {
	dir, _ := ckptFixture(t)
	// Rewrite history: the log now starts at seq 5, after checkpoint 3 + 1.
	seg := filepath.Join(dir, segmentName(1))
	spans := segmentRecords(t, seg)
	var recs []record
	for _, sp := range spans[4:] {
		recs = append(recs, sp.r)
	}
	r4 := spans[3].r
	writeFile(t, filepath.Join(dir, segmentName(5)), encodeSegment(prevRecord{seq: r4.seq, toggles: r4.toggles, time: r4.time}, recs))
	os.Remove(seg)
	ck := filepath.Join(dir, checkpointName(6))
	c := readFile(t, ck)
	c[60] ^= 1
	writeFile(t, ck, c)
	_, _, err := Open(dir, Options{})
	asCorrupt(t, err, checkpointName(6), checkpointCRCField)
}

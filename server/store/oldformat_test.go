package store

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// v2Want reads testdata/v2dir.want: what the build that wrote v2dir held
// at its end (epoch, seq, toggles, the grid's chain base, the head chain).
func v2Want(t *testing.T) (st State, gridBase, chain Chain) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "v2dir.want"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), " ")
		var err error
		switch k {
		case "epoch":
			_, err = fmt.Sscan(v, &st.Epoch)
		case "seq":
			_, err = fmt.Sscan(v, &st.Seq)
		case "toggles":
			_, err = fmt.Sscan(v, &st.Toggles)
		case "grid-base":
			_, err = hex.Decode(gridBase[:], []byte(v))
		case "chain":
			_, err = hex.Decode(chain[:], []byte(v))
		}
		if err != nil {
			t.Fatalf("v2dir.want %s: %v", k, err)
		}
	}
	return st, gridBase, chain
}

// TestOpensVersion2Directory: testdata/v2dir was written by the build
// before version 3 (main at 65b48b1: fixed 36-byte record headers, 16-byte
// segment headers; three segments, keyframes at 0, 5 and 11, records to
// 15). It verifies and opens to the state that build held; new records go
// to a version-3 segment; the history across both formats reads every
// frame back byte for byte, verifies end to end and reopens.
func TestOpensVersion2Directory(t *testing.T) {
	want, gridBase, chain := v2Want(t)
	dir := copyDir(t, filepath.Join("testdata", "v2dir"))
	v, err := OpenHistory(dir).Verify()
	if err != nil || v.Last != want.Seq || v.Chain != chain || !v.ChainFromBase {
		t.Fatalf("verify the old directory: %+v, %v", v, err)
	}
	var old [][]byte
	if err := ReadLog(dir, 0, func(_, _ uint64, fr []byte) error {
		old = append(old, append([]byte(nil), fr...))
		return nil
	}); err != nil || len(old) != int(want.Seq) {
		t.Fatalf("read the old log: %d records, %v", len(old), err)
	}

	s, st := openT(t, dir, Options{SegmentBytes: 600})
	if st.Epoch != want.Epoch || st.Seq != want.Seq || st.Toggles != want.Toggles || ChainBase(0, 0, 0, &st.Grid) != gridBase {
		t.Fatalf("opened at epoch %d seq %d toggles %d, want %+v", st.Epoch, st.Seq, st.Toggles, want)
	}
	if s.Head().Chain != chain {
		t.Fatal("recovered chain differs from the old build's head")
	}
	m := &model{st: *st, frames: old}
	m.appendN(t, s, rand.New(rand.NewPCG(46, 46)), 6, 25)
	if err := s.Checkpoint(&m.st); err != nil {
		t.Fatal(err)
	}
	m.appendN(t, s, rand.New(rand.NewPCG(47, 47)), 3, 25)
	head := s.Head()
	closeT(t, s)
	segs := seqFiles(t, dir, segmentPrefix, segmentSuffix)
	if b := readFile(t, filepath.Join(dir, segmentName(segs[len(segs)-1]))); b[8] != segmentVersion || segs[len(segs)-2] > want.Seq {
		t.Fatalf("segments %v: new records should start a version-3 segment at %d", segs, want.Seq+1)
	}
	v, err = OpenHistory(dir).Verify()
	if err != nil || v.Last != m.st.Seq || v.Chain != head.Chain {
		t.Fatalf("verify across formats: %+v, %v", v, err)
	}
	h := OpenHistory(dir)
	if err := h.Records(1, m.st.Seq, func(r Record) error {
		if string(r.Frame) != string(m.frames[r.Seq-1]) {
			return fmt.Errorf("record %d differs", r.Seq)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if g, _, err := h.GridAt(m.st.Seq); err != nil || g.Grid != m.st.Grid {
		t.Fatalf("grid at the head: %v", err)
	}
	s, st = openT(t, dir, Options{})
	sameState(t, st, &m.st)
	closeT(t, s)
}

// TestVersion2EmptyTailSegment: a version-2 build that crashed right
// after rotating left a segment holding only its 16-byte header; the
// version-3 build gives it a version-3 header (it holds no record) and
// appends there.
func TestVersion2EmptyTailSegment(t *testing.T) {
	want, _, _ := v2Want(t)
	dir := copyDir(t, filepath.Join("testdata", "v2dir"))
	empty := segmentName(want.Seq + 1)
	writeFile(t, filepath.Join(dir, empty), appendSegmentHeaderV2(nil))
	s, st := openT(t, dir, Options{})
	if st.Seq != want.Seq || st.Epoch != want.Epoch {
		t.Fatalf("opened at epoch %d seq %d, want %d %d", st.Epoch, st.Seq, want.Epoch, want.Seq)
	}
	m := &model{st: *st}
	m.appendN(t, s, rand.New(rand.NewPCG(48, 48)), 2, 10)
	closeT(t, s)
	spans := segmentRecords(t, filepath.Join(dir, empty))
	if b := readFile(t, filepath.Join(dir, empty)); b[8] != segmentVersion || len(spans) != 2 || spans[0].r.seq != want.Seq+1 {
		t.Fatalf("%s: version %d, %d records", empty, b[8], len(spans))
	}
	s, st = openT(t, dir, Options{})
	sameState(t, st, &m.st)
	closeT(t, s)
}

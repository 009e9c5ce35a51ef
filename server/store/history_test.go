package store

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"checkgrid/protocol"
)

// v1Record and v1Checkpoint write the version-1 formats (doc.go keeps
// their tables) as a build before history wrote them.
func v1Record(dst []byte, seq, toggles uint64, frame []byte) []byte {
	le := binary.LittleEndian
	n := len(dst)
	dst = le.AppendUint32(dst, uint32(len(frame)))
	dst = le.AppendUint64(dst, seq)
	dst = le.AppendUint64(dst, toggles)
	dst = le.AppendUint32(dst, crc(frame))
	dst = le.AppendUint32(dst, crc(dst[n:n+24]))
	return append(dst, frame...)
}

func v1Checkpoint(st *State) []byte {
	le := binary.LittleEndian
	b := []byte(checkpointMagic)
	b = le.AppendUint16(b, 1)
	b = le.AppendUint16(b, 0)
	b = le.AppendUint64(b, st.Epoch)
	b = le.AppendUint64(b, st.Seq)
	b = le.AppendUint64(b, st.Toggles)
	b = le.AppendUint32(b, 0)
	b = le.AppendUint32(b, 0)
	b = protocol.AppendSnapshot(b, st.Epoch, st.Seq, &st.Grid)
	le.PutUint32(b[36:], uint32(len(b)-44))
	le.PutUint32(b[40:], crc32.Update(crc(b[:40]), castagnoli, b[44:]))
	return b
}

// TestOpensVersion1Directory: a directory written before history was kept
// (version-1 checkpoint and records, no segment header) opens to the same
// state; its records read back with time unknown (0); new records go to a
// new version-3 segment with their commit time; the hash chain starts at
// the recovered seq (a keyframe there holds its base); and it reopens.
func TestOpensVersion1Directory(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(40, 40))
	m := &model{st: State{Epoch: 99}}
	writeFile(t, filepath.Join(dir, checkpointName(0)), v1Checkpoint(&m.st))
	var seg []byte
	for range 5 {
		seq, tg, fr := m.nextDelta(t, rng, 20)
		seg = v1Record(seg, seq, tg, fr)
	}
	writeFile(t, filepath.Join(dir, segmentName(1)), seg)

	s, st := openT(t, dir, Options{})
	sameState(t, st, &m.st)
	h := s.Head()
	if want := ChainBase(99, 5, m.st.Toggles, &m.st.Grid); h.Chain != want || h.Time != 0 || h.First != 0 {
		t.Fatalf("head after opening a version-1 directory: %+v, want the chain's base at seq 5", h)
	}
	before := time.Now().UnixNano()
	m.appendN(t, s, rng, 3, 20)
	after := time.Now().UnixNano()
	closeT(t, s)
	if segs := seqFiles(t, dir, segmentPrefix, segmentSuffix); len(segs) != 2 || segs[1] != 6 {
		t.Fatalf("segments %v, want the old one and a new one from seq 6", segs)
	}
	if b := readFile(t, filepath.Join(dir, segmentName(6))); string(b[:8]) != segmentMagic || b[8] != segmentVersion {
		t.Fatalf("new segment starts %q, want the version-3 header", b[:8])
	}
	var times []int64
	if err := readLog(dir, 0, func(r record) error {
		if string(r.deltaFrame()) != string(m.frames[r.seq-1]) {
			t.Errorf("seq %d: frame differs", r.seq)
		}
		times = append(times, r.time)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(times) != 8 {
		t.Fatalf("%d records read back, want 8", len(times))
	}
	for i, at := range times {
		old := i < 5
		if old != (at == 0) || (!old && (at < before || at > after || at < times[i-1])) {
			t.Fatalf("record %d: time %d (old %v; new ones between %d and %d, never decreasing)", i+1, at, old, before, after)
		}
	}
	s, st = openT(t, dir, Options{})
	sameState(t, st, &m.st)
	closeT(t, s)
}

// TestChainFollowsRecords: the head's chain is the base of the fresh
// directory's keyframe 0 stepped through every record (epoch, seq, time,
// toggles, frame), and recovery arrives at the same value.
func TestChainFollowsRecords(t *testing.T) {
	dir := t.TempDir()
	s, m := newModel(t, dir, Options{SegmentBytes: 400})
	m.appendN(t, s, rand.New(rand.NewPCG(41, 41)), 9, 30)
	if err := s.Checkpoint(&m.st); err != nil {
		t.Fatal(err)
	}
	m.appendN(t, s, rand.New(rand.NewPCG(42, 42)), 4, 30)
	head := s.Head()
	closeT(t, s)
	var empty protocol.Bitset
	c := ChainBase(m.st.Epoch, 0, 0, &empty)
	var ch chainer
	if err := readLog(dir, 0, func(r record) error {
		c = ch.next(c, m.st.Epoch, r.seq, r.time, r.toggles, r.deltaFrame())
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if head.Chain != c || head.Seq != 13 {
		t.Fatalf("head chain %x at seq %d, the log's %x", head.Chain, head.Seq, c)
	}
	s, _ = openT(t, dir, Options{})
	if got := s.Head().Chain; got != c {
		t.Fatalf("recovered chain %x, want %x", got, c)
	}
	closeT(t, s)
}

// TestCutSegmentHeader: a crash while a rotation wrote the new segment's
// header leaves a prefix of it, or zeros: recovery treats the segment as
// empty, writes its header, and appends go on in the same epoch (no record
// is written before the header is durable, so none can have been lost).
func TestCutSegmentHeader(t *testing.T) {
	dir := t.TempDir()
	s, m := newModel(t, dir, Options{})
	rng := rand.New(rand.NewPCG(43, 43))
	m.appendN(t, s, rng, 3, 10)
	closeT(t, s)
	hd := func() Head { s, _ := openT(t, copyDir(t, dir), Options{}); defer closeT(t, s); return s.Head() }()
	hdr := appendSegmentHeader(nil, prevRecord{seq: hd.Seq, toggles: hd.Toggles, time: hd.Time})
	v2 := appendSegmentHeaderV2(nil)
	for _, b := range [][]byte{hdr[:5], hdr[:15], hdr[:39], v2[:15], make([]byte, 9)} {
		d := copyDir(t, dir)
		writeFile(t, filepath.Join(d, segmentName(4)), b)
		s, st := openT(t, d, Options{})
		sameState(t, st, &m.st)
		mm := *m
		mm.st.Epoch = st.Epoch
		mm.appendN(t, s, rng, 1, 10)
		closeT(t, s)
		if got := readFile(t, filepath.Join(d, segmentName(4))); string(got[:segmentHeaderSize]) != string(hdr) {
			t.Fatalf("segment 4 after recovery starts %x", got[:segmentHeaderSize])
		}
		_, st = openT(t, d, Options{})
		sameState(t, st, &mm.st)
	}
	// A cut header in a segment that is not the last: corruption.
	d := copyDir(t, dir)
	os.Rename(filepath.Join(d, segmentName(1)), filepath.Join(d, segmentName(2)))
	writeFile(t, filepath.Join(d, segmentName(1)), hdr[:10])
	if _, _, err := Open(d, Options{}); err == nil {
		t.Fatal("cut header in a non-final segment: opened")
	}
}

// TestHistoryReadsEverySeq: a directory with many keyframes and small
// segments gives the model's grid at every seq (live, while the store
// holds it, and opened afterwards), its records from any seq, and the seq
// at a commit time.
func TestHistoryReadsEverySeq(t *testing.T) {
	dir := t.TempDir()
	s, m := newModel(t, dir, Options{SegmentBytes: 250, CheckpointBytes: 300})
	rng := rand.New(rand.NewPCG(44, 44))
	grids := []protocol.Bitset{m.st.Grid}
	var times []int64
	for range 40 {
		m.appendN(t, s, rng, 1, 15)
		grids = append(grids, m.st.Grid)
		if s.WantCheckpoint() {
			if err := s.Checkpoint(&m.st); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := readLog(dir, 0, func(r record) error { times = append(times, r.time); return nil }); err != nil {
		t.Fatal(err)
	}
	check := func(h *History, when string) {
		for seq := range uint64(len(grids)) {
			st, at, err := h.GridAt(seq)
			if err != nil || st.Seq != seq || st.Grid != grids[seq] || (seq > 0 && at != times[seq-1]) {
				t.Fatalf("%s: grid at %d: %v (seq %d, time %d)", when, seq, err, st.Seq, at)
			}
		}
		if _, _, err := h.GridAt(uint64(len(grids))); !errors.Is(err, ErrNotKept) {
			t.Fatalf("%s: grid past the head: %v", when, err)
		}
		var got []uint64
		if err := h.Records(7, 31, func(r Record) error {
			if string(r.Frame) != string(m.frames[r.Seq-1]) {
				t.Errorf("record %d differs", r.Seq)
			}
			got = append(got, r.Seq)
			return nil
		}); err != nil || len(got) != 25 || got[0] != 7 {
			t.Fatalf("%s: records 7..31: %v %v", when, got, err)
		}
		for i, at := range times {
			seq, err := h.SeqAt(at)
			// Several records may share a time; the last one at it wins.
			if err != nil || seq < uint64(i+1) || times[seq-1] != at {
				t.Fatalf("%s: seq at time of record %d: %d, %v", when, i+1, seq, err)
			}
		}
		hd, err := h.Head()
		if err != nil || hd.Seq != 40 || hd.Chain != s.Head().Chain {
			t.Fatalf("%s: head %+v, %v", when, hd, err)
		}
		if keys, _ := h.Keyframes(40); len(keys) < 5 {
			t.Fatalf("%s: only keyframes %v", when, keys)
		}
	}
	check(NewHistory(dir, s.Head), "live")
	head := s.Head()
	closeT(t, s)
	h := OpenHistory(dir)
	check(h, "opened")
	if hd, _ := h.Head(); hd.Chain != head.Chain {
		t.Fatal("opened head's chain differs from the store's")
	}
}

// TestVerify: a clean history verifies, with the chain from keyframe 0's
// base to the store's head; one flipped byte in an old segment fails
// naming the segment and the record; a record rewritten with valid
// checksums but other content fails at the next keyframe's chain.
func TestVerify(t *testing.T) {
	dir := t.TempDir()
	s, m := newModel(t, dir, Options{SegmentBytes: 250, CheckpointBytes: 300})
	rng := rand.New(rand.NewPCG(45, 45))
	for range 40 {
		m.appendN(t, s, rng, 1, 15)
		if s.WantCheckpoint() {
			if err := s.Checkpoint(&m.st); err != nil {
				t.Fatal(err)
			}
		}
	}
	head := s.Head()
	closeT(t, s)
	v, err := OpenHistory(dir).Verify()
	if err != nil || v.Last != 40 || v.Records != 40 || v.Chain != head.Chain || !v.ChainFromBase || v.ChainFrom != 0 || v.Keyframes < 5 {
		t.Fatalf("clean history: %+v, %v", v, err)
	}

	segs := seqFiles(t, dir, segmentPrefix, segmentSuffix)
	old := segmentName(segs[1])
	b := readFile(t, filepath.Join(dir, old))
	d := copyDir(t, dir)
	bad := append([]byte{}, b...)
	bad[len(bad)-3] ^= 0x10 // inside the segment's last record's frame
	writeFile(t, filepath.Join(d, old), bad)
	_, err = OpenHistory(d).Verify()
	var ce *CorruptError
	if !errors.As(err, &ce) || ce.File != old || !strings.Contains(err.Error(), "seq") {
		t.Fatalf("flipped byte in %s: %v, want corruption naming it and the record", old, err)
	}
	if _, _, err := Open(d, Options{}); err != nil {
		t.Fatalf("the server still starts (recovery reads from the newest keyframe): %v", err)
	}

	// Record 2 replaced by another valid record for seq 2: checksums hold.
	d = copyDir(t, dir)
	var recs []record
	for _, sp := range segmentRecords(t, filepath.Join(dir, segmentName(segs[0]))) {
		recs = append(recs, sp.r)
	}
	if len(recs) < 2 {
		t.Fatalf("first segment holds %d records", len(recs))
	}
	other, err := protocol.AppendDelta(nil, 2, []uint32{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	recs[1].frame = other
	writeFile(t, filepath.Join(d, segmentName(segs[0])), encodeSegment(prevRecord{seq: segs[0] - 1}, recs))
	_, err = OpenHistory(d).Verify()
	if !errors.Is(err, ErrMismatch) {
		t.Fatalf("rewritten record: %v, want ErrMismatch", err)
	}
}

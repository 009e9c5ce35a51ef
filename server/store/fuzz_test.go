package store

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"checkgrid/protocol"
)

// FuzzReadRunSet: any bytes either fail to decode or decode to boxes
// strictly increasing inside the grid, which run-code back to a set that
// decodes to the same boxes.
func FuzzReadRunSet(f *testing.F) {
	f.Add(appendRunSet(nil, []uint32{5, 1000, 1001, 1002}))
	f.Add(appendRunSet(nil, []uint32{0, protocol.Boxes - 1}))
	f.Add([]byte{0x80})
	f.Fuzz(func(t *testing.T, b []byte) {
		idx, err := readRunSet(b, nil)
		if err != nil {
			return
		}
		if len(idx) == 0 || len(idx) > protocol.Boxes {
			t.Fatalf("%d boxes", len(idx))
		}
		for i, x := range idx {
			if x >= protocol.Boxes || i > 0 && x <= idx[i-1] {
				t.Fatalf("box %d is %d after %v", i, x, idx[max(i-1, 0)])
			}
		}
		again, err := readRunSet(appendRunSet(nil, idx), nil)
		if err != nil || !slices.Equal(again, idx) {
			t.Fatalf("re-coded set decodes to %d boxes, %v", len(again), err)
		}
	})
}

// FuzzRecordBody: any body either fails to decode or gives a Delta frame
// the protocol accepts for the next seq, which encodes to a record that
// decodes to the same record.
func FuzzRecordBody(f *testing.F) {
	var enc recordEncoder
	prev := prevRecord{seq: 6, toggles: 100, time: 1000}
	for _, idx := range [][]uint32{{5, 1000, 1001, 1002}, {7, 99_998, 199_989, 999_999}} {
		fr := must(protocol.AppendDelta(nil, 7, idx))
		rec := enc.appendRecord(nil, prev, 110, 2000, fr)
		f.Add(rec[3 : len(rec)-recordCRCSize])
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var dec recordDecoder
		r, err := dec.decodeBody(prev, body)
		if err != nil {
			return
		}
		d, err := protocol.DecodeDelta(r.deltaFrame())
		if err != nil || d.Seq != prev.seq+1 || r.seq != d.Seq || r.time < prev.time || r.toggles < prev.toggles {
			t.Fatalf("decoded %+v: %v", r, err)
		}
		frame := slices.Clone(r.deltaFrame())
		rec := enc.appendRecord(nil, prev, r.toggles, r.time, frame)
		path := filepath.Join(t.TempDir(), segmentName(prev.seq+1))
		if err := os.WriteFile(path, append(appendSegmentHeader(nil, prev), rec...), 0o644); err != nil {
			t.Fatal(err)
		}
		var got []record
		if _, err := scanSegment(path, false, 0, func(_ int64, r record) error {
			r.frame, r.boxes = slices.Clone(r.deltaFrame()), nil
			got = append(got, r)
			return nil
		}); err != nil || len(got) != 1 || got[0].toggles != r.toggles || got[0].time != r.time || string(got[0].frame) != string(frame) {
			t.Fatalf("re-encoded record reads back as %+v, %v", got, err)
		}
	})
}

// FuzzScanSegment: any file named as a segment either scans or fails with
// an error; it never panics or allocates past its bounds. A version-3
// segment's records are Delta frames the protocol accepts, seqs
// consecutive from the name's (older versions' frames are checked by
// their readers after the scan, as before).
func FuzzScanSegment(f *testing.F) {
	f.Add(docVectorBytes())
	f.Add(appendSegmentHeaderV2(nil))
	f.Add([]byte("CKGRIDWL\x03\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), segmentName(7))
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, final := range []bool{false, true} {
			next := uint64(7)
			v3 := len(b) >= 10 && string(b[:8]) == segmentMagic && b[8] == segmentVersion && b[9] == 0
			_, _ = scanSegment(path, final, 0, func(_ int64, r record) error {
				if !v3 {
					return nil
				}
				d, err := protocol.DecodeDelta(r.deltaFrame())
				if err != nil || d.Seq != r.seq || r.seq != next {
					t.Fatalf("record seq %d (want %d): frame %x: %v", r.seq, next, r.deltaFrame(), err)
				}
				next = r.seq + 1
				return nil
			})
		}
	})
}

// docVectorBytes is TestSegmentVector's segment, for a fuzz seed.
func docVectorBytes() []byte {
	prev := prevRecord{seq: 6, toggles: 100, time: 1_700_000_000_000_000_000}
	fr := must(protocol.AppendDelta(nil, 7, []uint32{5, 1000, 1001, 1002}))
	return encodeSegment(prev, []record{{toggles: 104, time: prev.time + 1, frame: fr}})
}

package store

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"checkgrid/protocol"
)

// docVector returns the hex block that follows the line starting with
// intro in doc.go, decoded: the spec's bytes, not a copy of them.
func docVector(t *testing.T, intro string) []byte {
	t.Helper()
	doc := string(readFile(t, "doc.go"))
	i := strings.Index(doc, "// "+intro)
	if i < 0 {
		t.Fatalf("doc.go has no %q", intro)
	}
	var hx strings.Builder
	in := false
	for _, line := range strings.Split(doc[i:], "\n") {
		block, ok := strings.CutPrefix(line, "//\t")
		switch {
		case ok:
			in = true
			hx.WriteString(strings.ReplaceAll(block, " ", ""))
		case in:
			b, err := hex.DecodeString(hx.String())
			if err != nil {
				t.Fatalf("doc.go vector %q: %v", intro, err)
			}
			return b
		}
	}
	t.Fatalf("doc.go vector %q has no hex block", intro)
	return nil
}

// TestSegmentVector decodes doc.go's version-3 segment vector into the
// records it describes (frames byte for byte as protocol.AppendDelta
// makes them, and as doc.go quotes them) and encodes them back to the
// same bytes.
func TestSegmentVector(t *testing.T) {
	vec := docVector(t, "Vector: a version-3 segment")
	prev := prevRecord{seq: 6, toggles: 100, time: 1_700_000_000_000_000_000}
	boxes7 := []uint32{5}
	for i := range 20 {
		boxes7 = append(boxes7, uint32(1000+i))
	}
	var boxes8 []uint32
	for i := range 10 {
		boxes8 = append(boxes8, uint32(7+i*99_991))
	}
	f7, err := protocol.AppendDelta(nil, 7, boxes7)
	if err != nil {
		t.Fatal(err)
	}
	f8, err := protocol.AppendDelta(nil, 8, boxes8)
	if err != nil {
		t.Fatal(err)
	}
	want := []record{
		{seq: 7, toggles: 123, time: prev.time + 25_000_000, frame: f7},
		{seq: 8, toggles: 133, time: prev.time + 75_000_000, frame: f8},
	}
	doc := string(readFile(t, "doc.go"))
	for _, r := range want {
		if !strings.Contains(doc, hex.EncodeToString(r.frame)) {
			t.Errorf("doc.go does not quote record %d's frame %x", r.seq, r.frame)
		}
	}
	path := filepath.Join(t.TempDir(), segmentName(7))
	if err := os.WriteFile(path, vec, 0o644); err != nil {
		t.Fatal(err)
	}
	got := segmentRecords(t, path)
	if len(got) != len(want) || got[len(got)-1].end != int64(len(vec)) {
		t.Fatalf("vector holds %d records ending at %d of %d bytes", len(got), got[len(got)-1].end, len(vec))
	}
	for i, sp := range got {
		w := want[i]
		if sp.r.seq != w.seq || sp.r.toggles != w.toggles || sp.r.time != w.time || string(sp.r.frame) != string(w.frame) {
			t.Errorf("record %d: seq %d toggles %d time %d frame %x, want %+v", i, sp.r.seq, sp.r.toggles, sp.r.time, sp.r.frame, w)
		}
	}
	if enc := encodeSegment(prev, want); string(enc) != string(vec) {
		t.Fatalf("records encode to\n%x\nnot the vector\n%x", enc, vec)
	}
	// Record 7 is run-coded, record 8 packed (its boxes are scattered).
	if k := bodyKind(vec[40+3+5]); k != kindRuns {
		t.Errorf("record 7 is %v", k)
	}
}

package protocol

import (
	"bytes"
	"encoding/hex"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// vectorFrames are the frames whose hex appears in PROTOCOL.md. The test
// decodes each vector from the document, checks the decoded fields, and
// re-encodes them to the same bytes, so the spec and the code cannot drift.
func vectorFrames(t *testing.T) map[string][]byte {
	must := func(b []byte, err error) []byte {
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var g Bitset
	for _, i := range []uint32{0, 1001, 999999} {
		g.Put(i, true)
	}
	return map[string][]byte{
		"Welcome":       AppendWelcome(nil, Welcome{Version, GridWidth, GridHeight, 0x0102030405060708, 256, 20, 60, MaxClientMessage}),
		"Snapshot":      AppendSnapshot(nil, 1, 5, &g),
		"Delta":         must(AppendDelta(nil, 7, []uint32{3, 4, 5, 1000, 999999})),
		"Stats":         AppendStats(nil, Stats{Checked: 3, Online: 2, Toggles: 42}),
		"Reject":        must(AppendReject(nil, RejectRate, 1500, []uint32{10, 11})),
		"Resync":        AppendResync(nil, Resync{ResyncLagging}),
		"Set":           must(AppendSet(nil, []Change{{5, true}, {6, false}, {2000, true}})),
		"ResyncRequest": AppendResyncRequest(nil, ResyncRequest{HaveSeq: 6}),
		"Viewport":      AppendViewport(nil, Viewport{0, 0, 100, 50}),
	}
}

var vectorRE = regexp.MustCompile("(?s)```hex (\\w+)\n(.*?)```")

func docVectors(t *testing.T) map[string][]byte {
	doc, err := os.ReadFile("PROTOCOL.md")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, m := range vectorRE.FindAllStringSubmatch(string(doc), -1) {
		b, err := hex.DecodeString(strings.Join(strings.Fields(m[2]), ""))
		if err != nil {
			t.Fatalf("vector %s: %v", m[1], err)
		}
		out[m[1]] = b
	}
	return out
}

func TestVectorsInSpec(t *testing.T) {
	doc := docVectors(t)
	for name, want := range vectorFrames(t) {
		got, ok := doc[name]
		if !ok {
			t.Errorf("PROTOCOL.md has no vector for %s; it should be:\n```hex %s\n%s```", name, name, hexDump(want))
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("PROTOCOL.md vector %s differs from the encoder; it should be:\n```hex %s\n%s```", name, name, hexDump(want))
		}
	}
	// Decode each vector from the document and check its fields.
	if w, err := DecodeWelcome(doc["Welcome"]); err != nil || w.Epoch != 0x0102030405060708 || w.MaxSetBoxes != 256 || w.SetRate != 20 || w.SetBurst != 60 {
		t.Errorf("Welcome vector: %+v %v", w, err)
	}
	if s, err := DecodeSnapshot(doc["Snapshot"]); err != nil || s.Seq != 5 || s.Epoch != 1 || s.Checked != 3 || s.Encoding != EncodingRoaring {
		t.Errorf("Snapshot vector: %+v %v", s, err)
	} else {
		var g Bitset
		if err := s.Bits(&g); err != nil || !g.Get(0) || !g.Get(1001) || !g.Get(999999) || g.Count() != 3 {
			t.Errorf("Snapshot vector bits: %v", err)
		}
	}
	if d, err := DecodeDelta(doc["Delta"]); err != nil || d.Seq != 7 {
		t.Errorf("Delta vector: %+v %v", d, err)
	} else if idx, err := d.AppendIndexes(nil); err != nil || !slices.Equal(idx, []uint32{3, 4, 5, 1000, 999999}) {
		t.Errorf("Delta vector boxes: %v %v", idx, err)
	}
	if s, err := DecodeStats(doc["Stats"]); err != nil || s != (Stats{3, 2, 42}) {
		t.Errorf("Stats vector: %+v %v", s, err)
	}
	if r, err := DecodeReject(doc["Reject"]); err != nil || r.Reason != RejectRate || r.RetryAfterMS != 1500 {
		t.Errorf("Reject vector: %+v %v", r, err)
	} else if idx, err := r.AppendIndexes(nil); err != nil || !slices.Equal(idx, []uint32{10, 11}) {
		t.Errorf("Reject vector boxes: %v %v", idx, err)
	}
	if r, err := DecodeResync(doc["Resync"]); err != nil || r.Reason != ResyncLagging {
		t.Errorf("Resync vector: %+v %v", r, err)
	}
	if s, err := DecodeSet(doc["Set"]); err != nil {
		t.Errorf("Set vector: %v", err)
	} else if ch, err := s.AppendChanges(nil); err != nil || !slices.Equal(ch, []Change{{5, true}, {6, false}, {2000, true}}) {
		t.Errorf("Set vector changes: %v %v", ch, err)
	}
	if r, err := DecodeResyncRequest(doc["ResyncRequest"]); err != nil || r.HaveSeq != 6 {
		t.Errorf("ResyncRequest vector: %+v %v", r, err)
	}
	if v, err := DecodeViewport(doc["Viewport"]); err != nil || v != (Viewport{0, 0, 100, 50}) {
		t.Errorf("Viewport vector: %+v %v", v, err)
	}
}

func hexDump(b []byte) string {
	var sb strings.Builder
	for i := 0; i < len(b); i += 16 {
		sb.WriteString(hex.EncodeToString(b[i:min(i+16, len(b))]))
		sb.WriteByte('\n')
	}
	// Group bytes in pairs of hex digits for readability.
	return regexp.MustCompile("([0-9a-f]{2})").ReplaceAllString(sb.String(), "$1 ")
}

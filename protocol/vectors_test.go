package protocol

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"regexp"
	"slices"
	"strconv"
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
		"Welcome":       AppendWelcome(nil, vectorWelcome(Version1)),
		"WelcomeV2":     AppendWelcome(nil, vectorWelcome(Version2)),
		"Snapshot":      AppendSnapshot(nil, 1, 5, &g),
		"Delta":         must(AppendDelta(nil, 7, []uint32{3, 4, 5, 1000, 999999})),
		"Stats":         AppendStats(nil, Stats{Checked: 3, Online: 2, Toggles: 42}),
		"Reject":        must(AppendReject(nil, RejectRate, 1500, []uint32{10, 11})),
		"RejectFrozen":  must(AppendReject(nil, RejectFrozen, 0, []uint32{10, 11})),
		"RejectBanned":  must(AppendReject(nil, RejectBanned, 3_600_000, []uint32{5})),
		"Resync":        AppendResync(nil, Resync{ResyncLagging}),
		"Set":           must(AppendSet(nil, []Change{{5, true}, {6, false}, {2000, true}})),
		"ResyncRequest": AppendResyncRequest(nil, ResyncRequest{HaveSeq: 6}),
		"Viewport":      AppendViewport(nil, Viewport{Area{0, 0, 100, 50}}),
		"AreaSnapshot": func() []byte {
			b, _, err := AppendAreaSnapshot(nil, 1, 5, Area{998, 0, 2, 2}, vectorGrid(998, 1999), nil)
			return must(b, err)
		}(),
		"AreaSnapshotPacked": func() []byte {
			b, _, err := AppendAreaSnapshot(nil, 1, 5, Area{0, 0, 1000, 2}, vectorGrid(3, 1500), nil)
			return must(b, err)
		}(),
		"AreaDelta":         must(AppendAreaDelta(nil, 9, 7, []uint32{1001, 1002})),
		"Presence":          must(AppendPresence(nil, 40, vectorViewers())),
		"Playback":          must(AppendPlayback(nil, vectorPlaybackTime, 9, 4, []uint32{3, 4, 5, 1000})),
		"Announce":          must(AppendAnnounce(nil, vectorAnnounce)),
		"AnnounceWithdrawn": must(AppendAnnounce(nil, Announce{ID: 7})),
		"DeltaRange":        must(AppendDeltaRange(nil, 12, 9, []uint32{1001, 1002, 5000})),
		"DeltaRangeEmpty":   must(AppendDeltaRange(nil, 12, 9, nil)),
	}
}

// vectorAnnounce is PROTOCOL.md's Announce vector.
var vectorAnnounce = Announce{ID: 7, TTL: 600, Text: "Back at 18:00 ✓"}

func vectorWelcome(v uint8) Welcome {
	w := Welcome{Version: v, Width: GridWidth, Height: GridHeight, Epoch: 0x0102030405060708,
		MaxSetBoxes: 256, SetRate: 20, SetBurst: 60, MaxMessage: MaxClientMessage}
	if v >= Version2 {
		w.AddrRate, w.AddrBurst, w.MaxConnsPerAddr, w.ViewportInterval = 60, 900, 32, 200
	}
	return w
}

func vectorGrid(idx ...uint32) *Bitset {
	g := new(Bitset)
	for _, i := range idx {
		g.Put(i, true)
	}
	return g
}

// vectorViewers: cell 0 has 1 viewer, cell 26 has 2, cell 624 has 7, in a
// 25x25 map of 40-box cells.
func vectorViewers() []uint32 {
	v := make([]uint32, 625)
	v[0], v[26], v[624] = 1, 2, 7
	return v
}

var (
	vectorRE = regexp.MustCompile("(?s)```hex (\\w+)\n(.*?)```")
	// repeatRE is "(b1 b2 …) × n" in a vector: the bytes n times.
	repeatRE = regexp.MustCompile(`\(([0-9a-f ]+)\) × ([0-9]+)`)
)

func docVectors(t *testing.T) map[string][]byte {
	doc, err := os.ReadFile("PROTOCOL.md")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, m := range vectorRE.FindAllStringSubmatch(string(doc), -1) {
		text := repeatRE.ReplaceAllStringFunc(m[2], func(r string) string {
			sub := repeatRE.FindStringSubmatch(r)
			n, _ := strconv.Atoi(sub[2])
			return strings.Repeat(sub[1]+" ", n)
		})
		b, err := hex.DecodeString(strings.Join(strings.Fields(text), ""))
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
	for name, want := range map[string]struct {
		reason RejectReason
		retry  uint32
		boxes  []uint32
	}{"RejectFrozen": {RejectFrozen, 0, []uint32{10, 11}}, "RejectBanned": {RejectBanned, 3_600_000, []uint32{5}}} {
		r, err := DecodeReject(doc[name])
		var idx []uint32
		if err == nil {
			idx, err = r.AppendIndexes(nil)
		}
		if err != nil || r.Reason != want.reason || r.RetryAfterMS != want.retry || !slices.Equal(idx, want.boxes) {
			t.Errorf("%s vector: %+v %v %v", name, r, idx, err)
		}
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
	if v, err := DecodeViewport(doc["Viewport"]); err != nil || v != (Viewport{Area{0, 0, 100, 50}}) {
		t.Errorf("Viewport vector: %+v %v", v, err)
	}
	if w, err := DecodeWelcome(doc["WelcomeV2"]); err != nil || w != vectorWelcome(Version2) {
		t.Errorf("WelcomeV2 vector: %+v %v", w, err)
	}
	for name, want := range map[string]struct {
		enc     SnapshotEncoding
		area    Area
		checked []uint32
	}{
		"AreaSnapshot":       {EncodingRaw, Area{998, 0, 2, 2}, []uint32{998, 1999}},
		"AreaSnapshotPacked": {EncodingPacked, Area{0, 0, 1000, 2}, []uint32{3, 1500}},
	} {
		s, err := DecodeAreaSnapshot(doc[name])
		if err != nil || s.Encoding != want.enc || s.Area != want.area || s.Epoch != 1 || s.Seq != 5 || s.Checked != 2 {
			t.Errorf("%s vector: %+v %v", name, s, err)
			continue
		}
		g := vectorGrid(5000, 999999) // outside both areas: must be left alone
		if _, err := s.Apply(g, nil); err != nil {
			t.Errorf("%s vector boxes: %v", name, err)
		}
		if g.Count() != 4 || !g.Get(999999) || !g.Get(5000) || !g.Get(want.checked[0]) || !g.Get(want.checked[1]) {
			t.Errorf("%s vector: wrong boxes (%d checked)", name, g.Count())
		}
	}
	for name, want := range map[string][]uint32{"DeltaRange": {1001, 1002, 5000}, "DeltaRangeEmpty": nil} {
		d, err := DecodeDeltaRange(doc[name])
		if err != nil || d.Seq != 12 || d.Prev != 9 || d.Count != len(want) {
			t.Errorf("%s vector: %+v %v", name, d, err)
		} else if idx, err := d.AppendIndexes(nil); err != nil || !slices.Equal(idx, want) {
			t.Errorf("%s vector boxes: %v %v", name, idx, err)
		}
	}
	if d, err := DecodeAreaDelta(doc["AreaDelta"]); err != nil || d.Seq != 9 || d.Prev != 7 {
		t.Errorf("AreaDelta vector: %+v %v", d, err)
	} else if idx, err := d.AppendIndexes(nil); err != nil || !slices.Equal(idx, []uint32{1001, 1002}) {
		t.Errorf("AreaDelta vector boxes: %v %v", idx, err)
	}
	if a, err := DecodeAnnounce(doc["Announce"]); err != nil || a != vectorAnnounce {
		t.Errorf("Announce vector: %+v %v", a, err)
	}
	if a, err := DecodeAnnounce(doc["AnnounceWithdrawn"]); err != nil || a.ID != 7 || !a.Withdrawn() {
		t.Errorf("AnnounceWithdrawn vector: %+v %v", a, err)
	}
	if p, err := DecodePresence(doc["Presence"]); err != nil || p.Cell != 40 || len(p.Counts) != 625 {
		t.Errorf("Presence vector: %+v %v", p, err)
	} else {
		want := vectorViewers()
		want[26] = PresenceSome // 2 viewers are "some"
		if !slices.Equal(p.Counts, want) {
			t.Errorf("Presence vector counts differ")
		}
	}
}

// TestRawSnapshotVectorInSpec decodes the raw-encoding Snapshot vector,
// given whole in PROTOCOL.md (125,022 bytes, its payload written as a
// repeated pattern), and checks it is what the encoder makes and what its
// SHA-256 there says.
func TestRawSnapshotVectorInSpec(t *testing.T) {
	var g Bitset
	for i := uint32(0); i < Boxes; i += 3 {
		g.Put(i, true)
	}
	frame := docVectors(t)["SnapshotRaw"]
	s, err := DecodeSnapshot(frame)
	if err != nil || s.Encoding != EncodingRaw || s.Epoch != 1 || s.Seq != 5 || s.Checked != 333334 {
		t.Fatalf("raw snapshot vector: %+v %v", s, err)
	}
	var got Bitset
	if err := s.Bits(&got); err != nil || got != g {
		t.Fatalf("raw snapshot vector: %v, or not the multiples of 3", err)
	}
	if want := AppendSnapshot(nil, 1, 5, &g); !bytes.Equal(frame, want) {
		t.Errorf("PROTOCOL.md vector SnapshotRaw (%d bytes) differs from the encoder's (%d)", len(frame), len(want))
	}
	spec, err := os.ReadFile("PROTOCOL.md")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(frame)
	if want := "SHA-256 of the frame: `" + hex.EncodeToString(sum[:]) + "`"; !strings.Contains(string(spec), want) {
		t.Errorf("PROTOCOL.md lacks %q", want)
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

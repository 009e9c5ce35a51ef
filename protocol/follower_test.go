package protocol

import (
	"errors"
	"slices"
	"testing"
)

// A followStep is one frame handed to a Follower and what must follow: the
// error (nil, ErrGap or another named error), whether the frame was
// skipped, the position after it, whether a ResyncRequest is owed (taken
// by the test) and, for a full follower, the boxes of the step.
type followStep struct {
	name    string
	frame   []byte
	err     error
	skipped bool
	seq     uint64
	area    Area // the zero Area: unsynced
	resync  bool // TakeResync gives a request (HaveSeq = seq)
	boxes   []uint32
	full    bool // only a full follower can tell (it decodes payloads)
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// followScripts are the Flow of PROTOCOL.md as frame scripts.
func followScripts() map[string][]followStep {
	var g Bitset
	g.Flip(5)
	g.Flip(1002)
	a := Area{X: 0, Y: 0, W: 10, H: 10}
	snapA := must(func() ([]byte, error) { b, _, err := AppendAreaSnapshot(nil, 1, 4, a, &g, nil); return b, err }())
	corrupt := must(AppendDelta(nil, 7, []uint32{3, 4}))[:DeltaHeaderSize-1] // cut in its header
	w1 := AppendWelcome(nil, Welcome{Version: Version1, Width: GridWidth, Height: GridHeight, Epoch: 1, MaxSetBoxes: 256})
	w2 := AppendWelcome(nil, Welcome{Version: Version2, Width: GridWidth, Height: GridHeight, Epoch: 1, MaxSetBoxes: 256, ViewportInterval: 200})
	bad := slices.Clone(w2)
	bad[1] = Version + 1
	return map[string][]followStep{
		"version 1": {
			{name: "welcome", frame: w1},
			{name: "delta before any snapshot", frame: must(AppendDelta(nil, 3, []uint32{1})), skipped: true},
			{name: "snapshot", frame: AppendSnapshot(nil, 1, 5, &g), seq: 5, area: WholeGrid},
			{name: "stats", frame: AppendStats(nil, Stats{Checked: 2, Online: 3, Toggles: 9}), seq: 5, area: WholeGrid},
			{name: "next delta", frame: must(AppendDelta(nil, 6, []uint32{3, 5})), seq: 6, area: WholeGrid, boxes: []uint32{3, 5}},
			{name: "corrupt delta", frame: corrupt, err: ErrShort, seq: 6, area: WholeGrid},
			{name: "repeated delta", frame: must(AppendDelta(nil, 6, []uint32{3})), err: ErrGap, seq: 6, resync: true},
			{name: "delta while waiting", frame: must(AppendDelta(nil, 7, []uint32{3})), skipped: true, seq: 6},
			{name: "snapshot heals", frame: AppendSnapshot(nil, 1, 9, &g), seq: 9, area: WholeGrid},
			{name: "missed delta", frame: must(AppendDelta(nil, 11, []uint32{3})), err: ErrGap, seq: 9, resync: true},
			{name: "gap while waiting owes nothing more", frame: must(AppendDelta(nil, 12, []uint32{3})), skipped: true, seq: 9},
			{name: "new epoch replaces", frame: AppendSnapshot(nil, 2, 1, &g), seq: 1, area: WholeGrid},
			{name: "reject", frame: must(AppendReject(nil, RejectRate, 250, []uint32{8, 9})), seq: 1, area: WholeGrid, boxes: []uint32{8, 9}, full: true},
			{name: "server resync", frame: AppendResync(nil, Resync{Reason: ResyncLagging}), seq: 1},
			{name: "delta after resync", frame: must(AppendDelta(nil, 2, []uint32{3})), skipped: true, seq: 1},
			{name: "its snapshot", frame: AppendSnapshot(nil, 2, 4, &g), seq: 4, area: WholeGrid},
			{name: "welcome of another version", frame: bad, err: ErrVersion, seq: 4, area: WholeGrid},
			{name: "a client frame", frame: AppendResyncRequest(nil, ResyncRequest{}), err: ErrType, seq: 4, area: WholeGrid},
		},
		"version 2": {
			{name: "welcome", frame: w2},
			{name: "area snapshot", frame: snapA, seq: 4, area: a},
			{name: "area delta", frame: must(AppendAreaDelta(nil, 8, 4, []uint32{3})), seq: 8, area: a, boxes: []uint32{3}},
			{name: "presence", frame: must(AppendPresence(nil, 250, make([]uint32, 16))), seq: 8, area: a},
			{name: "a whole-grid delta on an area", frame: must(AppendDelta(nil, 9, []uint32{3})), err: ErrGap, seq: 8, resync: true},
			{name: "snapshot of the whole grid", frame: AppendSnapshot(nil, 1, 12, &g), seq: 12, area: WholeGrid},
			{name: "delta", frame: must(AppendDelta(nil, 13, []uint32{999_999})), seq: 13, area: WholeGrid, boxes: []uint32{999_999}},
			{name: "area snapshot again", frame: must(func() ([]byte, error) { b, _, err := AppendAreaSnapshot(nil, 1, 20, a, &g, nil); return b, err }()), seq: 20, area: a},
			{name: "area delta after a missed one", frame: must(AppendAreaDelta(nil, 23, 21, []uint32{3})), err: ErrGap, seq: 20, resync: true},
			{name: "area snapshot heals", frame: snapA, seq: 4, area: a},
		},
		"box outside the area": {
			{name: "area snapshot", frame: snapA, seq: 4, area: a},
			{name: "area delta outside", frame: must(AppendAreaDelta(nil, 5, 4, []uint32{500_000})), err: ErrGap, seq: 4, resync: true, full: true},
		},
	}
}

// TestFollower runs each script through a full follower and a head-only
// one: both must say the same of every frame (but for what only a full
// one can see).
func TestFollower(t *testing.T) {
	for name, script := range followScripts() {
		for _, head := range []bool{false, true} {
			f := NewFollower(new(Replica))
			if head {
				f = NewHeadFollower()
			}
			for i, s := range script {
				if head && s.full {
					break // the rest depends on what the head could not see
				}
				st, err := f.Handle(s.frame)
				at := func(format string, a ...any) {
					t.Helper()
					t.Errorf("%s (head only %v) step %d %q: "+format, append([]any{name, head, i, s.name}, a...)...)
				}
				if (s.err == nil) != (err == nil) || (s.err != nil && !errors.Is(err, s.err)) {
					at("error %v, want %v", err, s.err)
				}
				if st.Skipped != s.skipped || f.Seq() != s.seq || f.Area() != s.area || f.Synced() != (s.area.W != 0) {
					at("skipped %v seq %d area %+v, want %v %d %+v", st.Skipped, f.Seq(), f.Area(), s.skipped, s.seq, s.area)
				}
				req, ok := f.TakeResync()
				if ok != s.resync || (ok && req.HaveSeq != s.seq) {
					at("resync owed %v (%+v), want %v", ok, req, s.resync)
				}
				if _, again := f.TakeResync(); again {
					at("a resync owed twice")
				}
				if want := s.boxes; head {
					if st.Boxes != nil {
						at("head-only boxes %v", st.Boxes)
					}
				} else if !slices.Equal(st.Boxes, want) {
					at("boxes %v, want %v", st.Boxes, want)
				}
			}
		}
	}
}

// TestFollowerKeeps checks what a follower keeps besides the grid, and
// what a new connection forgets (the Welcome, being synced).
func TestFollowerKeeps(t *testing.T) {
	rep := new(Replica)
	f := NewFollower(rep)
	w := Welcome{Version: Version2, Width: GridWidth, Height: GridHeight, Epoch: 7, MaxSetBoxes: 256, ViewportInterval: 200}
	var g Bitset
	g.Flip(42)
	counts := make([]uint32, 16)
	counts[3] = 5
	rej := must(AppendReject(nil, RejectFrozen, 1500, []uint32{7}))
	for _, b := range [][]byte{AppendWelcome(nil, w), AppendSnapshot(nil, 7, 3, &g), AppendStats(nil, Stats{Checked: 1, Online: 4, Toggles: 10}),
		must(AppendPresence(nil, 250, counts)), rej} {
		if _, err := f.Handle(b); err != nil {
			t.Fatal(err)
		}
	}
	st, _ := f.Handle(rej)
	if got, ok := f.Welcome(); !ok || got.Epoch != 7 || got.ViewportInterval != 200 {
		t.Errorf("welcome %+v %v", got, ok)
	}
	if p, ok := f.Presence(); !ok || p.Cell != 250 || p.Counts[3] != 5 {
		t.Errorf("presence %+v %v", p, ok)
	}
	if f.Stats().Online != 4 || st.Head.Retry != 1500 || RejectReason(st.Head.Reason) != RejectFrozen || st.Head.Count != 1 {
		t.Errorf("stats %+v, reject head %+v", f.Stats(), st.Head)
	}
	if n, bytes := f.Received(); f.Frames(TypeReject) != 2 || f.Frames(TypeSnapshot) != 1 || n != 6 || bytes == 0 {
		t.Errorf("counted %d rejects, %d snapshots, %d frames, %d bytes", f.Frames(TypeReject), f.Frames(TypeSnapshot), n, bytes)
	}
	if f.Replica() != rep || !rep.Grid.Get(42) || rep.Epoch != 7 {
		t.Errorf("replica not the follower's grid")
	}
	f.NewConnection()
	_, welcomed := f.Welcome()
	_, mapped := f.Presence()
	if welcomed || !mapped || f.Stats().Online != 4 || f.Synced() || !rep.Grid.Get(42) {
		t.Errorf("after a new connection: welcomed %v, presence kept %v, stats %+v, synced %v, grid kept %v", welcomed, mapped, f.Stats(), f.Synced(), rep.Grid.Get(42))
	}
	if st, _ := f.Handle(must(AppendDelta(nil, 4, []uint32{1}))); !st.Skipped {
		t.Errorf("a new connection's delta before its snapshot applied")
	}
}

// FuzzFollower hands the same frames, cut from one input, to a full and a
// head-only follower: neither panics, every error is named, a gap leaves
// the follower waiting with one resync owed, applied boxes lie in the
// area, and while the full one accepts every frame the head-only one says
// the same of each.
func FuzzFollower(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		full, head := NewFollower(new(Replica)), NewHeadFollower()
		agree := true
		for frame := range cutFrames(b) {
			seq := full.Seq()
			st, err := full.Handle(frame)
			hst, herr := head.Handle(frame)
			for _, e := range []error{err, herr} {
				if e != nil && !errors.Is(e, ErrGap) {
					checkErr(t, e)
				}
			}
			if errors.Is(err, ErrGap) {
				if full.Synced() || full.Seq() != seq {
					t.Fatalf("a gap moved the follower: %v", err)
				}
				if req, ok := full.TakeResync(); !ok || req.HaveSeq != seq {
					t.Fatalf("gap without its resync: %+v %v", req, ok)
				}
			}
			for _, i := range st.Boxes {
				if st.Head.Type != TypeReject && !full.Area().Contains(i) {
					t.Fatalf("flipped box %d outside %+v", i, full.Area())
				}
			}
			if err != nil || herr != nil {
				agree = agree && errors.Is(err, ErrGap) && errors.Is(herr, ErrGap)
				continue
			}
			if agree && (st.Skipped != hst.Skipped || full.Seq() != head.Seq() || full.Area() != head.Area()) {
				t.Fatalf("full and head-only followers differ on %v: %+v %v vs %+v %v", st.Head.Type, full.Area(), full.Seq(), head.Area(), head.Seq())
			}
		}
	})
}

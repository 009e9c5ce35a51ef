package protocol

import (
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// Every decoder has a fuzz target. The seed corpus lives in
// testdata/fuzz/<Target>/ (written by TestWriteSeedCorpus with
// CHECKGRID_WRITE_CORPUS=1) so plain `go test` replays it together with any
// failure the fuzzer ever found.

// knownErr reports whether err wraps one of the package's named errors.
func knownErr(err error) bool {
	for _, e := range []error{ErrShort, ErrTrailing, ErrType, ErrVersion, ErrCount, ErrIndex, ErrOrder, ErrParam, ErrEncoding, ErrRoaring, ErrChecked, ErrField} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func checkErr(t *testing.T, err error) {
	t.Helper()
	if err != nil && !knownErr(err) {
		t.Fatalf("unnamed error: %v", err)
	}
}

func checkIndexes(t *testing.T, idx []uint32) {
	t.Helper()
	for i, x := range idx {
		if x >= Boxes || (i > 0 && x <= idx[i-1]) {
			t.Fatalf("decoder accepted bad index %d at %d", x, i)
		}
	}
}

// seed adds the target's frames from seedFrames to its corpus.
func seed(f *testing.F) {
	for _, b := range seedFrames()[f.Name()] {
		f.Add(b)
	}
}

// A fuzz input that stands for several frames holds each frame's length
// (2 bytes, little-endian) and then its bytes, in turn; a length past the
// end takes what is left.

// joinFrames is the input that cutFrames reads back as frames.
func joinFrames(frames ...[]byte) []byte {
	var in []byte
	for _, fr := range frames {
		in = le.AppendUint16(in, uint16(len(fr)))
		in = append(in, fr...)
	}
	return in
}

// cutFrames yields the frames of a fuzz input, whatever its bytes.
func cutFrames(in []byte) iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		for len(in) >= 2 {
			n := min(int(le.Uint16(in)), len(in)-2)
			if !yield(in[2 : 2+n]) {
				return
			}
			in = in[2+n:]
		}
	}
}

// packedFrame is one kind of frame that carries packed boxes (E: an index,
// a Change, a presence count), as its fuzz target sees it: whatever the
// input, the decoder returns a named error or a frame whose boxes unpack
// (or fail with a named error), meet check, and encode again to a frame
// with the same head and the same boxes.
type packedFrame[V any, E comparable] struct {
	decode func([]byte) (V, error)
	unpack func(V, []E) ([]E, error) // the view's AppendIndexes or AppendChanges
	check  func(*testing.T, V, []E)  // what accepted boxes must satisfy
	encode func(V, []E) ([]byte, error)
	head   func(V) any // the header fields the round trip keeps, comparable
}

// fuzz runs the target f with the seeds seedFrames holds for it.
func (p packedFrame[V, E]) fuzz(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := p.decode(b)
		checkErr(t, err)
		if err != nil {
			return
		}
		boxes, err := p.unpack(v, nil)
		checkErr(t, err)
		if err != nil {
			return
		}
		p.check(t, v, boxes)
		again, err := p.encode(v, boxes)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		v2, err := p.decode(again)
		if err != nil {
			t.Fatalf("re-encoded %T does not decode: %v", v, err)
		}
		boxes2, err := p.unpack(v2, nil)
		if err != nil || !slices.Equal(boxes, boxes2) || p.head(v) != p.head(v2) {
			t.Fatalf("re-encoded %T differs: head %v -> %v, %d -> %d boxes, %v", v, p.head(v), p.head(v2), len(boxes), len(boxes2), err)
		}
	})
}

// inOrder is the check of the frames whose boxes are strictly increasing
// indexes inside the grid.
func inOrder[V any](t *testing.T, _ V, idx []uint32) {
	t.Helper()
	checkIndexes(t, idx)
}

func FuzzDecodeDelta(f *testing.F) {
	packedFrame[Delta, uint32]{
		decode: DecodeDelta, unpack: Delta.AppendIndexes, check: inOrder[Delta],
		encode: func(d Delta, idx []uint32) ([]byte, error) { return AppendDelta(nil, d.Seq, idx) },
		head:   func(d Delta) any { return d.Seq },
	}.fuzz(f)
}

func FuzzDecodeSet(f *testing.F) {
	packedFrame[Set, Change]{
		decode: DecodeSet, unpack: Set.AppendChanges,
		check: func(t *testing.T, s Set, ch []Change) {
			if len(ch) != s.Count {
				t.Fatalf("got %d changes, header says %d", len(ch), s.Count)
			}
		},
		encode: func(_ Set, ch []Change) ([]byte, error) { return AppendSet(nil, ch) },
		head:   func(s Set) any { return s.Count },
	}.fuzz(f)
}

func FuzzDecodeReject(f *testing.F) {
	packedFrame[Reject, uint32]{
		decode: DecodeReject, unpack: Reject.AppendIndexes, check: inOrder[Reject],
		encode: func(r Reject, idx []uint32) ([]byte, error) { return AppendReject(nil, r.Reason, r.RetryAfterMS, idx) },
		head:   func(r Reject) any { return [2]uint32{uint32(r.Reason), r.RetryAfterMS} },
	}.fuzz(f)
}

func FuzzDecodeSnapshot(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := DecodeSnapshot(b)
		checkErr(t, err)
		if err != nil {
			return
		}
		var g Bitset
		err = s.Bits(&g)
		checkErr(t, err)
		if err != nil {
			return
		}
		if g.Count() != int(s.Checked) {
			t.Fatalf("accepted snapshot with %d bits, header %d", g.Count(), s.Checked)
		}
	})
}

// FuzzDecodeFixed covers the fixed-size frames, one decoder per type byte.
func FuzzDecodeFixed(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		ty, err := PeekType(b)
		checkErr(t, err)
		if err != nil {
			return
		}
		var round []byte
		switch ty {
		case TypeWelcome:
			var w Welcome
			if w, err = DecodeWelcome(b); err == nil {
				round = AppendWelcome(nil, w)
			}
		case TypeStats:
			var s Stats
			if s, err = DecodeStats(b); err == nil {
				round = AppendStats(nil, s)
			}
		case TypeResync:
			var r Resync
			if r, err = DecodeResync(b); err == nil {
				round = AppendResync(nil, r)
			}
		case TypeResyncRequest:
			var r ResyncRequest
			if r, err = DecodeResyncRequest(b); err == nil {
				round = AppendResyncRequest(nil, r)
			}
		case TypeViewport:
			var v Viewport
			if v, err = DecodeViewport(b); err == nil {
				round = AppendViewport(nil, v)
			}
		default:
			return
		}
		checkErr(t, err)
		if err == nil && !slices.Equal(round, b) {
			t.Fatalf("%v does not round-trip: % x -> % x", ty, b, round)
		}
	})
}

// seedFrames returns valid frames and near misses for each fuzz target.
func seedFrames() map[string][][]byte {
	r := rand.New(rand.NewPCG(11, 12))
	seeds := map[string][][]byte{}
	for _, k := range []int{1, 2, 10, 200} {
		d := must(AppendDelta(nil, uint64(k), randomIndexes(r, k)))
		seeds["FuzzDecodeDelta"] = append(seeds["FuzzDecodeDelta"], d, d[:len(d)-1], append(slices.Clone(d), 0))
		ch := make([]Change, k)
		for i, x := range randomIndexes(r, k) {
			ch[i] = Change{x, i%2 == 0}
		}
		s := must(AppendSet(nil, ch))
		seeds["FuzzDecodeSet"] = append(seeds["FuzzDecodeSet"], s, s[:len(s)-1])
		rj := must(AppendReject(nil, RejectRate, 500, randomIndexes(r, k)))
		seeds["FuzzDecodeReject"] = append(seeds["FuzzDecodeReject"], rj)
	}
	seeds["FuzzDecodeDelta"] = append(seeds["FuzzDecodeDelta"], must(AppendDelta(nil, 9, lineIndexes(0, 999, 1000))))
	snap := AppendSnapshot(nil, 1, 2, densityGrid(r, 0.001))
	seeds["FuzzDecodeSnapshot"] = append(seeds["FuzzDecodeSnapshot"], snap, snap[:len(snap)-3],
		AppendSnapshot(nil, 1, 2, new(Bitset)), AppendSnapshot(nil, 3, 4, pixelArt()))
	seeds["FuzzDecodeFixed"] = [][]byte{
		AppendWelcome(nil, Welcome{Version: Version1, Width: GridWidth, Height: GridHeight, Epoch: 5, MaxSetBoxes: 256, SetRate: 20, SetBurst: 60, MaxMessage: MaxClientMessage}),
		AppendWelcome(nil, Welcome{Version: Version2, Width: GridWidth, Height: GridHeight, Epoch: 5, MaxSetBoxes: 256, SetRate: 20, SetBurst: 60, MaxMessage: MaxClientMessage,
			AddrRate: 60, AddrBurst: 900, MaxConnsPerAddr: 32, ViewportInterval: 200}),
		AppendStats(nil, Stats{10, 2, 30}),
		AppendResync(nil, Resync{ResyncLagging}),
		AppendResyncRequest(nil, ResyncRequest{7}),
		AppendViewport(nil, Viewport{Area{1, 2, 3, 4}}),
		{0x7f}, {},
	}
	areaSeeds(r, seeds)
	return seeds
}

// TestWriteSeedCorpus writes seedFrames to testdata/fuzz in the go-fuzz
// corpus format when CHECKGRID_WRITE_CORPUS=1:
//
//	CHECKGRID_WRITE_CORPUS=1 go test -count=1 -run '^TestWriteSeedCorpus$' ./protocol/
func TestWriteSeedCorpus(t *testing.T) {
	if os.Getenv("CHECKGRID_WRITE_CORPUS") != "1" {
		t.Skip("set CHECKGRID_WRITE_CORPUS=1 to rewrite testdata/fuzz seeds")
	}
	for target, frames := range seedFrames() {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i, b := range frames {
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%02d", i)), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

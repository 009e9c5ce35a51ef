package protocol

import (
	"errors"
	"fmt"
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

func FuzzDecodeDelta(f *testing.F) {
	for _, b := range seedFrames()["FuzzDecodeDelta"] {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := DecodeDelta(b)
		checkErr(t, err)
		if err != nil {
			return
		}
		idx, err := d.AppendIndexes(nil)
		checkErr(t, err)
		if err != nil {
			return
		}
		checkIndexes(t, idx)
		again, err := AppendDelta(nil, d.Seq, idx)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		d2, _ := DecodeDelta(again)
		idx2, err := d2.AppendIndexes(nil)
		if err != nil || !slices.Equal(idx, idx2) {
			t.Fatalf("re-encoded delta differs: %v", err)
		}
	})
}

func FuzzDecodeSet(f *testing.F) {
	for _, b := range seedFrames()["FuzzDecodeSet"] {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := DecodeSet(b)
		checkErr(t, err)
		if err != nil {
			return
		}
		ch, err := s.AppendChanges(nil)
		checkErr(t, err)
		if err != nil {
			return
		}
		if len(ch) != s.Count {
			t.Fatalf("got %d changes, header says %d", len(ch), s.Count)
		}
		again, err := AppendSet(nil, ch)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		s2, _ := DecodeSet(again)
		ch2, err := s2.AppendChanges(nil)
		if err != nil || !slices.Equal(ch, ch2) {
			t.Fatalf("re-encoded set differs: %v", err)
		}
	})
}

func FuzzDecodeReject(f *testing.F) {
	for _, b := range seedFrames()["FuzzDecodeReject"] {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeReject(b)
		checkErr(t, err)
		if err != nil {
			return
		}
		idx, err := r.AppendIndexes(nil)
		checkErr(t, err)
		if err == nil {
			checkIndexes(t, idx)
		}
	})
}

func FuzzDecodeSnapshot(f *testing.F) {
	for _, b := range seedFrames()["FuzzDecodeSnapshot"] {
		f.Add(b)
	}
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
	for _, b := range seedFrames()["FuzzDecodeFixed"] {
		f.Add(b)
	}
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
	must := func(b []byte, err error) []byte {
		if err != nil {
			panic(err)
		}
		return b
	}
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
// corpus format when CHECKGRID_WRITE_CORPUS=1 (make fuzz-corpus).
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

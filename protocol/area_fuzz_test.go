package protocol

import (
	"errors"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
)

// Fuzz targets for the version-2 decoders; seeds in areaSeedFrames, corpus
// in testdata/fuzz/<Target>/ (TestWriteSeedCorpus).

func FuzzDecodeAreaSnapshot(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := DecodeAreaSnapshot(b)
		checkErr(t, err)
		if err != nil {
			return
		}
		var g Bitset
		outside := uint32(0)
		if s.Area.Contains(0) {
			outside = Boxes - 1
		}
		keep := !s.Area.Contains(outside)
		if keep {
			g.Put(outside, true)
		}
		_, err = s.Apply(&g, nil)
		checkErr(t, err)
		if err != nil {
			return
		}
		if keep && !g.Get(outside) {
			t.Fatalf("apply cleared box %d outside area %+v", outside, s.Area)
		}
		if keep {
			g.Put(outside, false)
		}
		if g.Count() != int(s.Checked) {
			t.Fatalf("accepted area snapshot with %d boxes, header %d", g.Count(), s.Checked)
		}
		again, _, err := AppendAreaSnapshot(nil, s.Epoch, s.Seq, s.Area, &g, nil)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		if len(again) > len(b) {
			t.Fatalf("re-encoded %d bytes, more than the %d accepted", len(again), len(b))
		}
		var g2 Bitset
		s2, err := DecodeAreaSnapshot(again)
		if err == nil {
			_, err = s2.Apply(&g2, nil)
		}
		if err != nil || g2 != g {
			t.Fatalf("re-encoded area snapshot differs: %v", err)
		}
	})
}

func FuzzDecodeAreaDelta(f *testing.F) {
	packedFrame[AreaDelta, uint32]{
		decode: DecodeAreaDelta, unpack: AreaDelta.AppendIndexes, check: inOrder[AreaDelta],
		encode: func(d AreaDelta, idx []uint32) ([]byte, error) { return AppendAreaDelta(nil, d.Seq, d.Prev, idx) },
		head:   func(d AreaDelta) any { return [2]uint64{d.Seq, d.Prev} },
	}.fuzz(f)
}

func FuzzDecodePresence(f *testing.F) {
	packedFrame[Presence, uint32]{
		decode: DecodePresence,
		unpack: func(p Presence, _ []uint32) ([]uint32, error) { return p.Counts, nil },
		check: func(t *testing.T, _ Presence, counts []uint32) {
			if i := slices.Index(counts, 2); i >= 0 {
				t.Fatalf("cell %d decoded as 2 viewers", i)
			}
		},
		encode: func(p Presence, counts []uint32) ([]byte, error) { return AppendPresence(nil, p.Cell, counts) },
		head:   func(p Presence) any { return p.Cell },
	}.fuzz(f)
}

// FuzzReplicaFrames feeds a replica a sequence of frames of every kind cut
// from one input: whatever they are, it never panics, only applies frames
// that follow, leaves itself unchanged on any error but a snapshot whose
// boxes fail (which leaves it unsynced), and never holds an area it was
// not sent.
func FuzzReplicaFrames(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		r := new(Replica)
		for frame := range cutFrames(b) {
			seq, area, grid := r.Seq, r.Area, r.Grid
			flipped, err := r.Apply(frame)
			if err != nil {
				if !errors.Is(err, ErrGap) {
					checkErr(t, err)
				}
				// A frame that does not decode, or does not follow, leaves
				// the replica as it was; a snapshot whose boxes fail once
				// written leaves it unsynced.
				t0, _ := PeekType(frame)
				snap := t0 == TypeSnapshot || t0 == TypeAreaSnapshot
				changed := r.Seq != seq || r.Area != area || r.Grid != grid
				if changed && !(snap && !r.Synced()) {
					t.Fatalf("failed %v changed the replica: %v", t0, err)
				}
				r.Unsync() // as a follower does
				continue
			}
			for _, i := range flipped {
				if !r.Area.Contains(i) {
					t.Fatalf("flipped box %d outside %+v", i, r.Area)
				}
			}
			if len(flipped) > 0 && (r.Area != area || r.Seq <= seq) {
				t.Fatalf("delta moved area %+v -> %+v or seq %d -> %d", area, r.Area, seq, r.Seq)
			}
		}
	})
}

// areaSeeds adds the version-2 targets' seeds to seeds.
func areaSeeds(r *rand.Rand, seeds map[string][][]byte) {
	g := densityGrid(r, 0.3)
	for _, a := range []Area{{0, 0, 1, 1}, {998, 0, 2, 2}, {100, 200, 80, 50}, {0, 0, 1000, 3}, {10, 10, 300, 300}} {
		b, _, err := AppendAreaSnapshot(nil, 1, 9, a, g, nil)
		b = must(b, err)
		seeds["FuzzDecodeAreaSnapshot"] = append(seeds["FuzzDecodeAreaSnapshot"], b, b[:len(b)-1])
	}
	sparse, _, err := AppendAreaSnapshot(nil, 1, 9, Area{0, 0, 1000, 10}, densityGrid(r, 0.001), nil)
	seeds["FuzzDecodeAreaSnapshot"] = append(seeds["FuzzDecodeAreaSnapshot"], must(sparse, err))
	empty, _, err := AppendAreaSnapshot(nil, 1, 9, Area{5, 5, 5, 5}, new(Bitset), nil)
	seeds["FuzzDecodeAreaSnapshot"] = append(seeds["FuzzDecodeAreaSnapshot"], must(empty, err))
	for _, k := range []int{1, 2, 40} {
		d := must(AppendAreaDelta(nil, 12, 3, randomIndexes(r, k)))
		seeds["FuzzDecodeAreaDelta"] = append(seeds["FuzzDecodeAreaDelta"], d, d[:len(d)-1])
	}
	viewers := make([]uint32, 625)
	seeds["FuzzDecodePresence"] = append(seeds["FuzzDecodePresence"], must(AppendPresence(nil, 40, viewers)))
	viewers[0], viewers[300], viewers[624] = 1, 3, 70000
	seeds["FuzzDecodePresence"] = append(seeds["FuzzDecodePresence"], must(AppendPresence(nil, 40, viewers)),
		must(AppendPresence(nil, 250, []uint32{1, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2})))
	// A replica's life: area snapshot, two area deltas, a gap, a whole snapshot, a delta.
	as, _, err := AppendAreaSnapshot(nil, 1, 4, Area{100, 100, 20, 10}, g, nil)
	life := joinFrames(must(as, err),
		must(AppendAreaDelta(nil, 6, 4, []uint32{100*GridWidth + 100, 105*GridWidth + 119})),
		must(AppendAreaDelta(nil, 7, 6, []uint32{109*GridWidth + 110})),
		must(AppendAreaDelta(nil, 9, 8, []uint32{101*GridWidth + 101})),
		AppendSnapshot(nil, 1, 9, new(Bitset)),
		must(AppendDelta(nil, 10, []uint32{77})))
	seeds["FuzzReplicaFrames"] = append(seeds["FuzzReplicaFrames"], life)
	// The follower's scripts, one input each, in a fixed order.
	scripts := followScripts()
	for _, name := range slices.Sorted(maps.Keys(scripts)) {
		var frames [][]byte
		for _, s := range scripts[name] {
			frames = append(frames, s.frame)
		}
		seeds["FuzzFollower"] = append(seeds["FuzzFollower"], joinFrames(frames...))
	}
	// Last, so that adding them drew nothing from r before the others.
	for _, k := range []int{0, 1, 2, 40} {
		d := must(AppendDeltaRange(nil, 12, 3, randomIndexes(r, k)))
		seeds["FuzzDecodeDeltaRange"] = append(seeds["FuzzDecodeDeltaRange"], d, d[:len(d)-1])
	}
}

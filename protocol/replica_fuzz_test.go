package protocol

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzReplica feeds a Replica a snapshot seq and a run of frames cut from
// the input (each prefixed by a 2-byte length): whatever the bytes, it must
// never panic, reject with a named error leaving the replica unchanged, and
// on success advance by exactly one seq with exactly the decoded flips.
func FuzzReplica(f *testing.F) {
	d1, _ := AppendDelta(nil, 1, []uint32{0, 5, 999_999})
	d2, _ := AppendDelta(nil, 2, []uint32{5})
	d4, _ := AppendDelta(nil, 4, []uint32{7})
	for _, frames := range [][][]byte{{d1, d2}, {d1, d1}, {d2}, {d1, d2, d4}, {d1[:len(d1)-1]}} {
		f.Add(uint64(0), joinFrames(frames...))
	}
	f.Fuzz(func(t *testing.T, start uint64, in []byte) {
		var r Replica
		var g Bitset
		r.Reset(1, start%4, &g)
		for frame := range cutFrames(in) {
			before, seq := r.Grid, r.Seq
			d, err := DecodeDelta(frame)
			var idx []uint32
			if err == nil {
				idx, err = r.ApplyDelta(d)
			}
			if err != nil {
				if !knownErr(err) && !errors.Is(err, ErrGap) {
					t.Fatalf("unnamed error: %v", err)
				}
				if r.Seq != seq || r.Grid != before {
					t.Fatalf("failed apply changed the replica: %v", err)
				}
				continue
			}
			checkIndexes(t, idx)
			if r.Seq != seq+1 {
				t.Fatalf("seq %d after %d", r.Seq, seq)
			}
			for _, i := range idx {
				before.Flip(i)
			}
			if before != r.Grid {
				t.Fatal("grid is not the old grid with the returned boxes flipped")
			}
		}
	})
}

// FuzzReadHead: any bytes give a Head or a named error, and a Head never
// claims more than the prefix holds.
func FuzzReadHead(f *testing.F) {
	d, _ := AppendDelta(nil, 3, []uint32{1})
	var g Bitset
	for _, s := range [][]byte{d, AppendSnapshot(nil, 1, 2, &g), AppendWelcome(nil, Welcome{Version: Version}), {0x05, 1}, {0x06}} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ReadHead(b)
		if err != nil {
			checkErr(t, err)
			return
		}
		if h.Type != FrameType(b[0]) || !bytes.Equal(b[:1], []byte{byte(h.Type)}) {
			t.Fatalf("head type %v for %x", h.Type, b[:1])
		}
	})
}

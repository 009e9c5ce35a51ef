package protocol

import (
	"errors"
	"slices"
	"testing"
)

// vectorPlaybackTime is 2025-01-01T00:00:00Z, the Playback vector's time.
const vectorPlaybackTime = 1735689600_000000000

// TestPlaybackVector decodes PROTOCOL.md's Playback vector.
func TestPlaybackVector(t *testing.T) {
	b := docVectors(t)["Playback"]
	f, rest, err := NextPlayback(b)
	var idx []uint32
	if err == nil {
		idx, err = f.Delta.AppendIndexes(nil)
	}
	if err != nil || len(rest) != 0 || f.Time != vectorPlaybackTime || f.Delta.Seq != 9 || f.Delta.Prev != 4 || !slices.Equal(idx, []uint32{3, 4, 5, 1000}) {
		t.Fatalf("Playback vector: %+v %v, %d bytes left, err %v", f, idx, len(rest), err)
	}
	for name, bad := range map[string][]byte{
		"short":         b[:11],
		"cut":           b[:len(b)-1],
		"negative time": append(append(make([]byte, 7), 0x80), b[8:]...),
		"not an area delta": func() []byte {
			c := slices.Clone(b)
			c[PlaybackHeaderSize] = byte(TypeDelta)
			return c
		}(),
	} {
		if _, _, err := NextPlayback(bad); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}

// FuzzNextPlayback: any bytes decode to playback frames or a named error,
// never a panic, and what decodes encodes to the same bytes.
func FuzzNextPlayback(f *testing.F) {
	f.Add(mustPlayback(f))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		for len(b) > 0 {
			p, rest, err := NextPlayback(b)
			var idx []uint32
			if err == nil {
				idx, err = p.Delta.AppendIndexes(nil)
			}
			if err != nil {
				if !errors.Is(err, ErrShort) && !errors.Is(err, ErrField) && !errors.Is(err, ErrType) && !errors.Is(err, ErrCount) &&
					!errors.Is(err, ErrParam) && !errors.Is(err, ErrIndex) && !errors.Is(err, ErrTrailing) {
					t.Fatalf("unnamed error %v", err)
				}
				return
			}
			// The encoder may pick another Rice parameter: compare what
			// the re-encoded frame says, not its bytes.
			got, err := AppendPlayback(nil, p.Time, p.Delta.Seq, p.Delta.Prev, idx)
			q, _, err2 := NextPlayback(got)
			var idx2 []uint32
			if err == nil && err2 == nil {
				idx2, err2 = q.Delta.AppendIndexes(nil)
			}
			if err != nil || err2 != nil || q.Time != p.Time || q.Delta.Seq != p.Delta.Seq || q.Delta.Prev != p.Delta.Prev || !slices.Equal(idx, idx2) {
				t.Fatalf("re-encoded %x: %v %v", got, err, err2)
			}
			b = rest
		}
	})
}

func mustPlayback(tb testing.TB) []byte {
	b, err := AppendPlayback(nil, vectorPlaybackTime, 9, 4, []uint32{3, 4, 5, 1000})
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

package protocol

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
)

// TestRoaringDecoderMatchesLibrary decodes what the reference library
// writes, in every container kind and header form, and compares.
func TestRoaringDecoderMatchesLibrary(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	grids := []*Bitset{new(Bitset), pixelArt(), densityGrid(r, 0.0005), densityGrid(r, 0.2), densityGrid(r, 0.9)}
	one := new(Bitset) // a single container: run cookie without offsets
	one.Put(65535, true)
	for i := uint32(100); i < 300; i++ {
		one.Put(i, true)
	}
	last := new(Bitset) // the partial last container, up to the last box
	for i := uint32(Boxes - 5000); i < Boxes; i++ {
		last.Put(i, true)
	}
	grids = append(grids, one, last)
	for gi, g := range grids {
		for _, optimize := range []bool{false, true} {
			rb := roaringFromDense(g)
			if optimize {
				rb.RunOptimize()
			}
			var buf bytes.Buffer
			if _, err := rb.WriteTo(&buf); err != nil {
				t.Fatal(err)
			}
			var got Bitset
			if err := decodeRoaring(buf.Bytes(), &got); err != nil {
				t.Fatalf("grid %d optimize=%v: %v", gi, optimize, err)
			}
			if got != *g {
				t.Fatalf("grid %d optimize=%v: decoded grid differs", gi, optimize)
			}
		}
	}
}

func TestRoaringDecoderRejects(t *testing.T) {
	outside := roaring.New()
	outside.Add(Boxes) // one past the last box
	overlap := []byte{0x3b, 0x30, 0, 0, 1, 0, 0, 0, 5, 0, 2, 0, 0, 0, 2, 0, 1, 0, 0, 0}
	for name, b := range map[string][]byte{
		"outside grid": mustBytes(t, outside),
		"bad cookie":   {1, 2, 3, 4, 5, 6, 7, 8},
		"cut short":    mustBytes(t, roaring.BitmapOf(1, 2, 3))[:10],
		"overlap runs": overlap,
	} {
		var g Bitset
		if err := decodeRoaring(b, &g); !errors.Is(err, ErrRoaring) && !errors.Is(err, ErrTrailing) {
			t.Errorf("%s: %v, want ErrRoaring", name, err)
		}
	}
}

func mustBytes(t *testing.T, rb *roaring.Bitmap) []byte {
	t.Helper()
	b, err := rb.ToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

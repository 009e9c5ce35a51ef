package protocol

import "github.com/RoaringBitmap/roaring/v2"

func roaringFromDense(g *Bitset) *roaring.Bitmap {
	return roaring.FromDense(append([]uint64(nil), g[:]...), false)
}

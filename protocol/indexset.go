package protocol

import (
	"fmt"
	"math/bits"

	"checkgrid/protocol/bitio"
)

// Packed index sets.
//
// Delta, Set and Reject frames carry a set of distinct box indexes, packed as
// Rice codes of the gaps between consecutive indexes (PROTOCOL.md, "Packed
// index set"). For k uniformly random boxes the gaps are close to geometric,
// for which a Rice code with a well-chosen parameter is within a few percent
// of the entropy bound; for boxes drawn next to each other the gaps are zero
// and cost one bit each.
const (
	// riceParamBits holds the Rice parameter b; b ≤ maxRiceParam fits in 5.
	riceParamBits = 5
	// maxRiceParam is the largest useful b: 2^20 > Boxes, so every gap fits
	// in the low bits with a one-bit quotient.
	maxRiceParam = 20
	// firstIndexBits holds the first index verbatim: coding it as a gap from
	// zero would let one far-off start inflate the parameter for a cluster.
	firstIndexBits = 20
)

// minPackedBits is the fewest bits a set of count boxes with parameter b can
// take: every Rice code is at least b+1 bits.
func minPackedBits(count int, b uint) int {
	return riceParamBits + firstIndexBits + (count-1)*int(b+1)
}

// riceParam picks the b minimising the packed size of idx. It returns
// ErrOrder or ErrIndex if idx is not strictly increasing within the grid.
func riceParam(idx []uint32) (uint, error) {
	k := uint64(len(idx))
	if k == 0 {
		return 0, nil
	}
	last := idx[k-1]
	if last >= Boxes {
		return 0, fmt.Errorf("%w: %d", ErrIndex, last)
	}
	if k == 1 {
		return 0, nil
	}
	// Σ gaps, valid only if strictly increasing (checked below).
	sum := uint64(last) - uint64(idx[0]) - (k - 1)
	mean := sum / (k - 1)
	// The optimum for a geometric source lies near log2(mean·ln2); try a few
	// values around log2(mean) and keep the cheapest exactly.
	hi := uint(bits.Len64(mean))
	if hi > maxRiceParam {
		hi = maxRiceParam
	}
	lo := uint(0)
	if hi > 3 {
		lo = hi - 3
	}
	var q [5]uint64
	prev := int64(idx[0])
	for _, p := range idx[1:] {
		if int64(p) <= prev {
			return 0, fmt.Errorf("%w: %d after %d", ErrOrder, p, prev)
		}
		g := uint64(int64(p) - prev - 1)
		prev = int64(p)
		for j := uint(0); j <= hi-lo; j++ {
			q[j] += g >> (lo + j)
		}
	}
	best, bestCost := lo, ^uint64(0)
	for j := uint(0); j <= hi-lo; j++ {
		if c := (k-1)*uint64(lo+j+1) + q[j]; c < bestCost {
			best, bestCost = lo+j, c
		}
	}
	return best, nil
}

// appendIndexSet packs idx (strictly increasing, < Boxes) into bw.
func appendIndexSet(bw *bitio.Writer, idx []uint32) error {
	b, err := riceParam(idx)
	if err != nil {
		return err
	}
	bw.Write(uint64(b), riceParamBits)
	bw.Write(uint64(idx[0]), firstIndexBits)
	prev := int64(idx[0])
	mask := uint64(1)<<b - 1
	for _, p := range idx[1:] {
		g := uint64(int64(p) - prev - 1)
		prev = int64(p)
		bw.Unary(g >> b)
		bw.Write(g&mask, b)
	}
	return nil
}

// readIndexSet unpacks count indexes from br, appending them to dst. extra is
// the number of bits the caller still expects after the set, counted in the
// up-front length check so that nothing is allocated for a frame too short to
// hold what it claims.
func readIndexSet(br *bitio.Reader, count int, extra int, dst []uint32) ([]uint32, error) {
	b := uint(br.Read(riceParamBits))
	if br.Over() {
		return dst, fmt.Errorf("%w: missing Rice parameter", ErrShort)
	}
	if b > maxRiceParam {
		return dst, fmt.Errorf("%w: %d", ErrParam, b)
	}
	if need := minPackedBits(count, b) - riceParamBits + extra; br.Remaining() < need {
		return dst, fmt.Errorf("%w: %d boxes need at least %d bits, have %d", ErrShort, count, need, br.Remaining())
	}
	dst = growUint32(dst, count)
	first := br.Read(firstIndexBits)
	if first >= Boxes {
		return dst, fmt.Errorf("%w: first box is %d", ErrIndex, first)
	}
	dst = append(dst, uint32(first))
	limit := uint64(Boxes >> b)
	prev := int64(first)
	for i := 1; i < count; i++ {
		q := br.Unary(limit)
		g := q<<b | br.Read(b)
		if br.Over() {
			return dst, fmt.Errorf("%w: box %d of %d", ErrShort, i, count)
		}
		p := prev + 1 + int64(g)
		if p >= Boxes {
			return dst, fmt.Errorf("%w: box %d of %d is %d", ErrIndex, i, count, p)
		}
		dst = append(dst, uint32(p))
		prev = p
	}
	return dst, nil
}

// growUint32 makes room for n more elements without letting append grow the
// slice step by step.
func growUint32(s []uint32, n int) []uint32 {
	if cap(s)-len(s) >= n {
		return s
	}
	t := make([]uint32, len(s), len(s)+n)
	copy(t, s)
	return t
}

// finish checks that only zero padding, less than a byte, is left.
func finish(br *bitio.Reader, what FrameType) error {
	if br.Remaining() >= 8 || !br.RestZero() {
		return fmt.Errorf("%w: %v has %d unused bits", ErrTrailing, what, br.Remaining())
	}
	return nil
}

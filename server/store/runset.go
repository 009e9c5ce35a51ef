package store

import (
	"fmt"
	"math/bits"

	"checkgrid/protocol"
	"checkgrid/protocol/bitio"
)

// Run-coded index sets: how a version-3 record stores a Delta's boxes
// when that is shorter than the protocol's packing (doc.go, "Run-coded
// set"). A drawer's line of adjacent boxes costs the protocol one Rice
// code per box (the gap 0 at the tick's parameter, ~15 bits on a busy
// grid); here a run costs one gap plus an Elias gamma length (9 bits for
// 20 boxes), a single box one extra bit.
const (
	// runParamBits holds the Rice parameter b of the gaps between runs;
	// runMaxParam is the largest useful one (2^20 > Boxes).
	runParamBits = 5
	runMaxParam  = 20
	// runFirstBits holds the first run's start verbatim.
	runFirstBits = 20
	// runGammaBits bounds a gamma code's value below 2^20 > Boxes: no
	// count of runs or length of a run is larger.
	runGammaBits = 20
)

// appendRunSet appends the run-coded form of idx (strictly increasing,
// inside the grid, non-empty: a decoded Delta's) to dst.
func appendRunSet(dst []byte, idx []uint32) []byte {
	// Runs: maximal stretches of consecutive boxes.
	runs := 0
	var sum uint64 // Σ gaps between runs, to choose b
	for i := range idx {
		if i == 0 || idx[i] != idx[i-1]+1 {
			if i > 0 {
				sum += uint64(idx[i] - idx[i-1] - 2)
			}
			runs++
		}
	}
	b := runParam(idx, runs, sum)
	bw := bitio.NewWriter(dst)
	bw.Gamma(uint64(runs))
	bw.Write(uint64(b), runParamBits)
	mask := uint64(1)<<b - 1
	start := 0
	for i := 1; i <= len(idx); i++ {
		if i < len(idx) && idx[i] == idx[i-1]+1 {
			continue
		}
		// idx[start..i) is a run.
		if start == 0 {
			bw.Write(uint64(idx[0]), runFirstBits)
		} else {
			g := uint64(idx[start] - idx[start-1] - 2)
			bw.Unary(g >> b)
			bw.Write(g&mask, b)
		}
		bw.Gamma(uint64(i - start))
		start = i
	}
	return bw.Flush()
}

// runParam picks the Rice parameter b minimising the gaps' codes, trying
// the few values around log2 of their mean (as protocol's riceParam does).
func runParam(idx []uint32, runs int, sum uint64) uint {
	if runs < 2 {
		return 0
	}
	n := uint64(runs - 1)
	hi := min(uint(bits.Len64(sum/n)), runMaxParam)
	lo := uint(0)
	if hi > 3 {
		lo = hi - 3
	}
	var q [5]uint64
	for i := 1; i < len(idx); i++ {
		if idx[i] == idx[i-1]+1 {
			continue
		}
		g := uint64(idx[i] - idx[i-1] - 2)
		for j := uint(0); j <= hi-lo; j++ {
			q[j] += g >> (lo + j)
		}
	}
	best, bestCost := lo, ^uint64(0)
	for j := uint(0); j <= hi-lo; j++ {
		if c := n*uint64(lo+j+1) + q[j]; c < bestCost {
			best, bestCost = lo+j, c
		}
	}
	return best
}

// readRunSet decodes a run-coded set, appending its boxes (strictly
// increasing, inside the grid) to dst. Anything else (a run past the
// grid, runs that touch, a code cut short, bits left but padding) is an
// error.
func readRunSet(src []byte, dst []uint32) ([]uint32, error) {
	br := bitio.NewReader(src)
	runs := br.Gamma(runGammaBits)
	b := uint(br.Read(runParamBits))
	if br.Over() {
		return dst, fmt.Errorf("run set: cut short before its runs")
	}
	if b > runMaxParam {
		return dst, fmt.Errorf("run set: Rice parameter %d above %d", b, runMaxParam)
	}
	// Every run takes at least 2 bits (a gap's b+1 and a length's 1, or the
	// first start's 20): reject a count the bytes cannot hold before
	// allocating for it.
	if need := runFirstBits + 1 + int(runs-1)*int(b+2); br.Remaining() < need {
		return dst, fmt.Errorf("run set: %d runs need at least %d bits, have %d", runs, need, br.Remaining())
	}
	limit := uint64(protocol.Boxes >> b)
	next := uint64(0) // the first box a run may start at
	for r := range runs {
		var start uint64
		if r == 0 {
			start = br.Read(runFirstBits)
		} else {
			g := br.Unary(limit)<<b | br.Read(b)
			start = next + 1 + g // a gap of at least one box: runs are maximal
		}
		n := br.Gamma(runGammaBits)
		if br.Over() {
			return dst, fmt.Errorf("run set: cut short in run %d of %d", r+1, runs)
		}
		if start+n > protocol.Boxes {
			return dst, fmt.Errorf("run set: run %d of %d (%d boxes from %d) leaves the grid", r+1, runs, n, start)
		}
		for x := start; x < start+n; x++ {
			dst = append(dst, uint32(x))
		}
		next = start + n
	}
	if br.Remaining() >= 8 || !br.RestZero() {
		return dst, fmt.Errorf("run set: %d bits after the last run", br.Remaining())
	}
	return dst, nil
}

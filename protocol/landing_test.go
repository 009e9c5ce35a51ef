package protocol

import (
	"math/rand/v2"
	"testing"
)

// TestCellCounts: the byte-wise count equals counting box by box, on a
// random grid and at the edges.
func TestCellCounts(t *testing.T) {
	var g Bitset
	rng := rand.New(rand.NewPCG(1, 2))
	for range 50000 {
		g.Put(uint32(rng.IntN(Boxes)), true)
	}
	g.Put(0, true)
	g.Put(Boxes-1, true)
	var want CellCounts
	for i := range uint32(Boxes) {
		if g.Get(i) {
			x, y := int(i%GridWidth), int(i/GridWidth)
			want[y/LandingCell*LandingCellsX+x/LandingCell]++
		}
	}
	var got CellCounts
	got.Count(&g)
	if got != want {
		t.Fatal("CellCounts.Count differs from counting box by box")
	}
}

// TestBusiestVector is PROTOCOL.md's X-Landing vector: a lone box far
// away and a cluster of four; the landing place is the cluster's centre.
func TestBusiestVector(t *testing.T) {
	var g Bitset
	var c CellCounts
	c.Count(&g)
	if x, y, n := c.Busiest(LandingWindow); x != 500 || y != 500 || n != 0 {
		t.Fatalf("empty grid lands at (%d,%d) with %d, want (500,500) with 0", x, y, n)
	}
	for _, p := range [][2]int{{10, 990}, {801, 209}, {805, 212}, {806, 215}, {799, 205}} {
		g.Put(uint32(p[1]*GridWidth+p[0]), true)
	}
	c.Count(&g)
	if x, y, n := c.Busiest(LandingWindow); x != 802 || y != 210 || n != 4 {
		t.Fatalf("lands at (%d,%d) with %d, want (802,210) with 4", x, y, n)
	}
}

package raster

import (
	"strings"

	"checkgrid/protocol"
	"testing"
	"time"
)

// set is a FillSource holding the checked boxes.
type set map[uint32]bool

func (s set) Displayed(i uint32) bool { return s[i] }

func (s set) Bits() *protocol.Bitset {
	var g protocol.Bitset
	for i, v := range s {
		g.Put(i, v)
	}
	return &g
}

func (s set) AppendPending(dst []uint32) []uint32 { return dst }

// picture draws the top-left w×h of r: 'x' checked, '.' not, upper case
// while highlighted.
func picture(r *Raster, w, h int) string {
	var sb strings.Builder
	for y := range h {
		if y > 0 {
			sb.WriteByte('\n')
		}
		for x := range w {
			o := 4 * (y*Width + x)
			c := byte('.')
			if r.Pix[o] == 255 {
				c = 'x'
			}
			if r.Pix[o+2] == 255 {
				c -= 'a' - 'A'
				if c == '.'-('a'-'A') {
					c = 'o'
				}
			}
			sb.WriteByte(c)
		}
	}
	return sb.String()
}

func TestUpdateHighlightsThenExpires(t *testing.T) {
	r := New()
	src := set{0: true, Width + 1: true}
	r.Fill(src)
	if got, want := picture(r, 3, 2), "x..\n.x."; got != want {
		t.Fatalf("fill:\n%s\nwant\n%s", got, want)
	}
	src[2] = true
	delete(src, Width+1)
	r.Update(src, []uint32{2, Width + 1}, 0)
	if got, want := picture(r, 3, 2), "x.X\n.o."; got != want {
		t.Fatalf("update:\n%s\nwant\n%s", got, want)
	}
	// Box 2 changes again later; its first highlight must not clear it.
	src[2] = false
	r.Update(src, []uint32{2}, time.Second)
	r.Expire(expireAfter)
	if got, want := picture(r, 3, 2), "x.o\n..."; got != want {
		t.Fatalf("first expiry:\n%s\nwant\n%s", got, want)
	}
	r.Expire(time.Second + expireAfter)
	if got, want := picture(r, 3, 2), "x..\n..."; got != want {
		t.Fatalf("second expiry:\n%s\nwant\n%s", got, want)
	}
	if r.Highlighted() != 0 {
		t.Fatalf("%d highlights left", r.Highlighted())
	}
}

func TestDirtyRuns(t *testing.T) {
	r := New()
	var runs [][2]int
	collect := func(y0, y1 int) { runs = append(runs, [2]int{y0, y1}) }
	r.Dirty(collect)
	if len(runs) != 1 || runs[0] != [2]int{0, Height} {
		t.Fatalf("new raster uploads %v, want everything", runs)
	}
	runs = nil
	r.Update(set{}, []uint32{5 * Width, 6*Width + 3, 9 * Width, 999*Width + 999}, 0)
	r.Dirty(collect)
	want := [][2]int{{5, 7}, {9, 10}, {999, 1000}}
	if len(runs) != len(want) {
		t.Fatalf("runs %v, want %v", runs, want)
	}
	for i := range want {
		if runs[i] != want[i] {
			t.Fatalf("runs %v, want %v", runs, want)
		}
	}
	runs = nil
	r.Dirty(collect)
	if len(runs) != 0 {
		t.Fatalf("clean raster uploads %v", runs)
	}
}

func TestHighlightsAreBounded(t *testing.T) {
	r := New()
	idx := make([]uint32, MaxHighlights+10)
	for i := range idx {
		idx[i] = uint32(i)
	}
	r.Update(set{}, idx, 0)
	if r.Highlighted() != MaxHighlights {
		t.Fatalf("%d highlights, want %d", r.Highlighted(), MaxHighlights)
	}
	if last := 4 * idx[len(idx)-1]; r.Pix[last+2] != 0 {
		t.Fatal("a change past the bound is highlighted")
	}
}

func TestMinimapShowsALoneBox(t *testing.T) {
	r := New()
	s := set{}
	r.Fill(s)
	var pix []byte
	if !r.Minimap(func(p []byte) { pix = append(pix[:0], p...) }) {
		t.Fatal("Minimap after Fill: not dirty")
	}
	if r.Minimap(func([]byte) {}) {
		t.Fatal("Minimap twice: still dirty")
	}
	blank := [3]byte{pix[0], pix[1], pix[2]}

	// One box in cell (3, 2): the cell is tinted at least half-way.
	i := uint32((2*Cell+5)*Width + 3*Cell + 1)
	s[i] = true
	r.Update(s, []uint32{i, i}, 0) // a repeat must not count twice
	if !r.Minimap(func(p []byte) { pix = append(pix[:0], p...) }) {
		t.Fatal("Minimap after Update: not dirty")
	}
	if got := r.CellCount(3, 2); got != 1 {
		t.Fatalf("cell count %d, want 1", got)
	}
	c := 4 * (2*CellsX + 3)
	lone := [3]byte{pix[c], pix[c+1], pix[c+2]}
	if lone == blank {
		t.Fatalf("a cell with one checked box looks unchecked: %v", lone)
	}
	if d := int(blank[0]) - int(lone[0]); d < 0xf4-0x1f-(0xf4-0x1f)/2-1 {
		t.Fatalf("lone box tint too faint: red %d vs blank %d", lone[0], blank[0])
	}

	// Cleared again, and a Fill agrees with the incremental counts.
	s[i] = false
	r.Update(s, []uint32{i}, 0)
	if got := r.CellCount(3, 2); got != 0 {
		t.Fatalf("cell count %d after clearing, want 0", got)
	}
	s[0], s[Width*Height-1] = true, true
	r.Update(s, []uint32{0, Width*Height - 1}, 0)
	a, b := r.CellCount(0, 0), r.CellCount(CellsX-1, CellsY-1)
	r.Fill(s)
	if r.CellCount(0, 0) != a || r.CellCount(CellsX-1, CellsY-1) != b || a != 1 || b != 1 {
		t.Fatalf("incremental %d,%d; Fill %d,%d; want 1,1", a, b, r.CellCount(0, 0), r.CellCount(CellsX-1, CellsY-1))
	}
}

func TestShadeRamp(t *testing.T) {
	prev, _, _ := Shade(0)
	for n := 1; n <= Cell*Cell; n++ {
		r, _, _ := Shade(n)
		if r > prev {
			t.Fatalf("Shade(%d) red %d lighter than Shade(%d) %d", n, r, n-1, prev)
		}
		prev = r
	}
	if r, g, b := Shade(Cell * Cell); r != 0x1f || g != 0x6f || b != 0xeb {
		t.Fatalf("full cell %02x%02x%02x, want 1f6feb", r, g, b)
	}
}

func TestRefuseFlashesWithoutChanging(t *testing.T) {
	r := New()
	src := set{1: true}
	r.Fill(src)
	r.Refuse([]uint32{0, 1}, 0)
	if r.Pix[0] != 0 || r.Pix[4] != 255 || r.Pix[2] != Refused || r.Pix[6] != Refused {
		t.Fatalf("refused boxes: % x", r.Pix[:8])
	}
	r.Expire(expireAfter)
	if r.Pix[2] != 0 || r.Pix[6] != 0 || r.Highlighted() != 0 {
		t.Fatalf("after expiry: % x, %d lit", r.Pix[:8], r.Highlighted())
	}
}

func TestBusiest(t *testing.T) {
	r := New()
	if x, y, n := r.Busiest(5); x != Width/2 || y != Height/2 || n != 0 {
		t.Fatalf("empty grid: (%d,%d) %d, want the centre", x, y, n)
	}
	src := set{}
	// A lone box far away, and a cluster of 4 around (803, 211).
	for _, p := range [][2]int{{10, 990}, {801, 209}, {805, 212}, {806, 215}, {799, 205}} {
		src[uint32(p[1]*Width+p[0])] = true
	}
	r.Fill(src)
	x, y, n := r.Busiest(5)
	if n != 4 {
		t.Fatalf("busiest window holds %d, want 4", n)
	}
	// The centre of the cluster's cells (within a cell of its boxes).
	if x < 799 || x > 807 || y < 205 || y > 216 {
		t.Fatalf("busiest place (%d,%d) is not the cluster's centre", x, y)
	}
}

// TestTakeChanged: a fill, an update and a refusal change what boxes look
// like; an expiry dirties rows but changes nothing the shader shows.
func TestTakeChanged(t *testing.T) {
	r := New()
	if !r.TakeChanged() {
		t.Fatal("a new raster is not changed")
	}
	if r.TakeChanged() {
		t.Fatal("changed twice without a change")
	}
	src := set{5: true}
	r.Fill(src)
	if !r.TakeChanged() {
		t.Fatal("fill: not changed")
	}
	r.Update(src, []uint32{5}, 0)
	if !r.TakeChanged() {
		t.Fatal("update: not changed")
	}
	r.Refuse([]uint32{7}, 0)
	if !r.TakeChanged() {
		t.Fatal("refuse: not changed")
	}
	r.Dirty(func(int, int) {})
	r.Expire(expireAfter)
	rows := 0
	r.Dirty(func(y0, y1 int) { rows += y1 - y0 })
	if rows == 0 {
		t.Fatal("expiry dirtied no row")
	}
	if r.TakeChanged() {
		t.Fatal("expiry: changed")
	}
}

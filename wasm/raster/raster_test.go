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

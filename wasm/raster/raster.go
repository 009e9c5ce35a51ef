package raster

import (
	"time"

	"checkgrid/protocol"
)

// Geometry of the texture.
const (
	Width  = protocol.GridWidth
	Height = protocol.GridHeight
	// RowBytes is the stride of Pix.
	RowBytes = Width * 4
)

// Highlight timing.
const (
	// Stamp is the resolution of the change time kept in G: 1/64 s makes
	// the fade smooth at 60 fps, and 256 stamps (4 s) outlast a highlight.
	Stamp = time.Second / 64
	// Highlight is how long a change stays highlighted; the shader fades it
	// out over the same time, so it feels alive without smearing a drawing.
	Highlight = time.Second
	// expireAfter is when the CPU clears B: a little after the shader has
	// faded it to nothing, so the fade is never cut short.
	expireAfter = Highlight + Highlight/4
	// MaxHighlights bounds the highlights awaiting expiry (12 bytes each).
	// Past it, changes are drawn without one: a burst that large (a resync
	// or a bot) lights up the screen as noise anyway, and memory stays
	// bounded whatever the server sends.
	MaxHighlights = 1 << 16
)

// Refused is the B value of a box the player tried to change and the rate
// limit refused: the shader flashes it red instead of amber, so a refused
// stroke reads as refused, not as a dashed line.
const Refused = 128

// Source answers what a box shows; board.Board is one.
type Source interface {
	Displayed(i uint32) bool
}

// FillSource is a Source that can also give its state in bulk: a bitset,
// and the few boxes that show otherwise. board.Board is one.
type FillSource interface {
	Source
	Bits() *protocol.Bitset
	AppendPending(dst []uint32) []uint32
}

// lit is one highlight to clear. stamp tells whether the box has been
// highlighted again since: within expireAfter (< 256 stamps) a newer change
// has a different stamp, or one so close that clearing both together is
// indistinguishable.
type lit struct {
	index   uint32
	stamp   uint8
	expires time.Duration
}

// Raster is the state texture's pixels and what changed since the last
// upload.
type Raster struct {
	// Pix is Width×Height RGBA, row-major, owned by the Raster. The
	// uploader may read it between calls, never write it.
	Pix []byte

	dirty    [Height]bool
	dirtyN   int
	allDirty bool
	// changed: a box's look changed (a value, a new highlight) since
	// TakeChanged; an expiry, which the shader has already faded out,
	// does not count.
	changed bool

	lit     []lit // highlights in expiry order; head is lit[litHead]
	litHead int
	pending []uint32 // scratch for Fill
	mini    density
}

// New returns a raster of unchecked, unhighlighted boxes, all dirty.
func New() *Raster {
	r := &Raster{Pix: make([]byte, Width*Height*4)}
	for i := 3; i < len(r.Pix); i += 4 {
		r.Pix[i] = 255
	}
	r.allDirty, r.changed = true, true
	r.mini.init()
	return r
}

// StampAt is the G value for a change at now.
func StampAt(now time.Duration) uint8 { return uint8(now / Stamp) }

// Fill redraws every box from src without highlights: word by word from
// its bitset, then the boxes it shows otherwise.
func (r *Raster) Fill(src FillSource) {
	p := r.Pix
	for w, word := range src.Bits() {
		px := p[w*64*4 : (w+1)*64*4]
		for j := range 64 {
			// 0 - bit is 0x00 or 0xff: no branch on random data.
			px[4*j] = byte(0 - (word>>j)&1)
			px[4*j+2] = 0
		}
	}
	r.pending = src.AppendPending(r.pending[:0])
	for _, i := range r.pending {
		p[4*i] = 0
		if src.Displayed(i) {
			p[4*i] = 255
		}
	}
	r.lit, r.litHead = r.lit[:0], 0
	r.allDirty, r.changed = true, true
	r.mini.recount(p)
}

// Update redraws boxes idx from src and highlights them as changed at now.
// idx may repeat boxes.
func (r *Raster) Update(src Source, idx []uint32, now time.Duration) {
	s := StampAt(now)
	exp := now + expireAfter
	for _, i := range idx {
		o := 4 * i
		v := byte(0)
		if src.Displayed(i) {
			v = 255
		}
		if old := r.Pix[o]; old != v {
			r.mini.add(i, int(v&1)-int(old&1))
		}
		r.Pix[o] = v
		if r.Highlighted() < MaxHighlights {
			r.Pix[o+1], r.Pix[o+2] = s, 255
			r.lit = append(r.lit, lit{index: i, stamp: s, expires: exp})
		}
		r.markRow(i / Width)
		r.changed = true
	}
}

// Refuse highlights boxes idx as refused at now (see Refused), leaving
// what they show as it is. idx may repeat boxes.
func (r *Raster) Refuse(idx []uint32, now time.Duration) {
	s := StampAt(now)
	exp := now + expireAfter
	for _, i := range idx {
		if r.Highlighted() >= MaxHighlights {
			return
		}
		o := 4 * i
		r.Pix[o+1], r.Pix[o+2] = s, Refused
		r.lit = append(r.lit, lit{index: i, stamp: s, expires: exp})
		r.markRow(i / Width)
		r.changed = true
	}
}

// Expire clears the highlights that have faded by now. A box highlighted
// again since keeps its newer highlight.
func (r *Raster) Expire(now time.Duration) {
	for r.litHead < len(r.lit) && r.lit[r.litHead].expires <= now {
		l := r.lit[r.litHead]
		r.litHead++
		o := 4 * l.index
		if r.Pix[o+1] == l.stamp && r.Pix[o+2] != 0 {
			r.Pix[o+2] = 0
			r.markRow(l.index / Width)
		}
	}
	if r.litHead == len(r.lit) {
		r.lit, r.litHead = r.lit[:0], 0
	} else if r.litHead > 4096 && r.litHead > len(r.lit)/2 {
		n := copy(r.lit, r.lit[r.litHead:])
		r.lit, r.litHead = r.lit[:n], 0
	}
}

// TakeChanged reports whether a box looks different since the last call
// (Fill, Update or Refuse touched one), and forgets it. Rows an expiry
// dirtied only clear a highlight the shader has already faded to nothing,
// so a renderer may leave them for its next frame (and upload them then).
func (r *Raster) TakeChanged() bool {
	c := r.changed
	r.changed = false
	return c
}

// Highlighted is the number of highlights not yet expired.
func (r *Raster) Highlighted() int { return len(r.lit) - r.litHead }

func (r *Raster) markRow(y uint32) {
	if !r.dirty[y] {
		r.dirty[y] = true
		r.dirtyN++
	}
}

// Dirty calls upload for each run of consecutive changed rows [y0, y1), or
// once for all rows if everything changed or so many rows did that one
// upload is cheaper, then forgets them. Pix[y0*RowBytes:y1*RowBytes] holds
// the run's pixels; upload must not keep the slice.
func (r *Raster) Dirty(upload func(y0, y1 int)) {
	// Past a quarter of the rows, per-run uploads cost more in calls than
	// one whole upload costs in bytes.
	if r.allDirty || r.dirtyN > Height/4 {
		upload(0, Height)
		r.dirty = [Height]bool{}
		r.dirtyN, r.allDirty = 0, false
		return
	}
	if r.dirtyN == 0 {
		return
	}
	for y := 0; y < Height; {
		if !r.dirty[y] {
			y++
			continue
		}
		y0 := y
		for y < Height && r.dirty[y] {
			r.dirty[y] = false
			y++
		}
		upload(y0, y)
	}
	r.dirtyN = 0
}

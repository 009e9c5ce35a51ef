package game

import "github.com/hajimehoshi/ebiten/v2"

// gridShader turns the state texture (package raster: R checked, G change
// stamp, B highlighted as changed or refused) into boxes. The source
// coordinates are box units, so one quad draws any part of the grid at any
// zoom:
//   - below 1 device pixel per box, each pixel looks at every box it
//     covers (up to 16×16; past that, 16 evenly spaced rows and columns)
//     and shows their density the way the minimap does (raster.Shade):
//     unchecked if none is checked, else at least half way to checked, so
//     a lone checked box never vanishes into an average; and a change
//     anywhere under the pixel lights it for a second, so the whole grid
//     shows where players are busy. The work is about one fetch per box
//     on screen, as the old 4×4 average was, at any zoom;
//   - from 1 to 3 pixels per box, each box is a flat colour;
//   - from 3, a one-pixel gap line separates boxes, so single boxes are
//     visible before they are big enough for detail;
//   - from 6 to 10, a real checkbox fades in: gap, rounded border, and a
//     check mark on checked boxes, anti-aliased by distance in device
//     pixels.
//
// Colours: unchecked #f4f4f4 with a #80868b border (clearly visible at
// 7 px, where #9aa0a6 on #f4f4f4 was not), checked #1f6feb with a white
// mark, gaps #dadce0. A change lights the box up in its own hue for a
// second (unchecked towards warm yellow, checked towards sky blue: never
// the olive of amber over blue); a refused change flashes red. Frozen
// (disconnected) greys everything out, so a stale grid never looks live.
const gridShader = `//kage:unit pixels

package main

// Scale is device pixels per box.
var Scale float
// Now is the current change stamp (1/64 s units, modulo 256).
var Now float
// Frozen is 1 while the grid is not live (disconnected), else 0.
var Frozen float

func boxColor(c vec4) vec3 {
	checked := step(0.5, c.r)
	base := mix(vec3(0.957, 0.957, 0.957), vec3(0.122, 0.435, 0.922), checked)
	changed, refused := glow(c)
	return lit(base, checked, changed, refused)
}

// glow is how strongly box c shows as changed and as refused (1 when it
// just happened, fading to 0 over 64 stamps, a second).
func glow(c vec4) (float, float) {
	age := mod(Now-c.g*255.0+256.0, 256.0) / 64.0
	fade := clamp(1.0-age, 0.0, 1.0)
	changed := step(0.75, c.b) * fade
	refused := step(0.25, c.b) * (1.0 - step(0.75, c.b)) * fade
	return changed, refused
}

// lit tints base by a change (in the box's own hue: warm when unchecked,
// sky blue when checked) and a refusal (red).
func lit(base vec3, checked, changed, refused float) vec3 {
	hot := mix(vec3(1.0, 0.85, 0.45), vec3(0.25, 0.62, 1.0), checked)
	col := mix(base, hot, changed*0.75)
	return mix(col, vec3(0.92, 0.26, 0.21), refused*0.8)
}

// covered is the colour of a pixel that covers the boxes of src range
// [lo, hi): their density, shaded like raster.Shade, lit by the strongest
// change under it.
func covered(lo, hi, origin vec2) vec3 {
	n := hi - lo
	stride := max(n/16.0, vec2(1.0))
	total := 0.0
	checked := 0.0
	changed := 0.0
	refused := 0.0
	for j := 0; j < 16; j++ {
		y := lo.y + floor(float(j)*stride.y)
		if y >= hi.y {
			break
		}
		for i := 0; i < 16; i++ {
			x := lo.x + floor(float(i)*stride.x)
			if x >= hi.x {
				break
			}
			c := imageSrc0UnsafeAt(vec2(x, y) + origin + 0.5)
			total += 1.0
			checked += step(0.5, c.r)
			ch, rf := glow(c)
			changed = max(changed, ch)
			refused = max(refused, rf)
		}
	}
	some := step(0.5, checked)
	t := some * (0.5 + 0.5*sqrt(checked/max(total, 1.0)))
	base := mix(vec3(0.957, 0.957, 0.957), vec3(0.122, 0.435, 0.922), t)
	return lit(base, some, changed, refused)
}

func segment(p, a, b vec2) float {
	pa := p - a
	ba := b - a
	h := clamp(dot(pa, ba)/dot(ba, ba), 0.0, 1.0)
	return length(pa - ba*h)
}

func freeze(col vec3) vec3 {
	grey := dot(col, vec3(0.299, 0.587, 0.114))
	return mix(col, vec3(grey*0.85+0.05), Frozen)
}

func Fragment(dst vec4, src vec2, color vec4) vec4 {
	origin := imageSrc0Origin()
	p := src - origin
	if Scale < 1.0 {
		// The boxes under this pixel: its footprint is 1/Scale boxes wide,
		// centred on p, inside the grid.
		h := 0.5 / Scale
		lo := clamp(floor(p-h), vec2(0.0), vec2(999.0))
		hi := clamp(ceil(p+h), lo+1.0, vec2(1000.0))
		return vec4(freeze(covered(lo, hi, origin)), 1.0)
	}
	cell := floor(p)
	c := imageSrc0UnsafeAt(cell + origin + 0.5)
	col := boxColor(c)
	if Scale < 3.0 {
		return vec4(freeze(col), 1.0)
	}
	gapCol := vec3(0.855, 0.863, 0.878)
	u := p - cell
	px := 1.0 / Scale
	edge := clamp(step(1.0-px, u.x)+step(1.0-px, u.y), 0.0, 1.0)
	flat := mix(col, gapCol, edge*clamp(Scale-3.0, 0.0, 1.0))
	if Scale < 6.0 {
		return vec4(freeze(flat), 1.0)
	}
	q := (u - 0.5) * Scale
	gap := max(1.0, Scale*0.08)
	radius := Scale * 0.14
	e := Scale*0.5 - gap - radius
	v := abs(q) - vec2(e)
	d := length(max(v, vec2(0.0))) + min(max(v.x, v.y), 0.0) - radius
	bw := max(1.0, Scale*0.06)
	checked := step(0.5, c.r)
	border := mix(vec3(0.502, 0.525, 0.545), vec3(0.08, 0.34, 0.78), checked)
	inside := clamp(0.5-d, 0.0, 1.0)
	ring := clamp(0.5-(d+bw), 0.0, 1.0)
	fill := col
	if checked > 0.5 {
		dm := min(segment(u, vec2(0.25, 0.58), vec2(0.42, 0.75)), segment(u, vec2(0.42, 0.75), vec2(0.77, 0.36))) * Scale
		mark := clamp(Scale*0.065-dm+0.5, 0.0, 1.0)
		fill = mix(fill, vec3(1.0), mark)
	}
	out := mix(border, fill, ring)
	out = mix(gapCol, out, inside)
	detail := clamp((Scale-6.0)/4.0, 0.0, 1.0)
	return vec4(freeze(mix(flat, out, detail)), 1.0)
}
`

// newGridShader compiles gridShader; an error is a bug in the source.
func newGridShader() (*ebiten.Shader, error) {
	return ebiten.NewShader([]byte(gridShader))
}

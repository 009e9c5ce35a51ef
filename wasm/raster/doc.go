// Package raster keeps the pixels of the state texture: one RGBA pixel per
// box, 1000×1000, which the renderer uploads to the GPU and a shader turns
// into boxes at any zoom.
//
// Entry points: New; Fill redraws every box from a Source (after a
// Snapshot); Update redraws the boxes a board reports as changed and
// highlights them; Refuse flashes boxes the rate limit refused; Busiest
// finds the busiest place for the first view; Expire clears highlights that have faded; Dirty hands the
// changed rows to the uploader and forgets them; Minimap hands over the
// minimap's pixels (one per Cell×Cell block, shaded by how many of its boxes
// are checked, with a floor so a single checked box shows) when they changed,
// kept up to date box by box like the rest.
//
// Channels (A is always 255, so the pixels are valid premultiplied RGBA):
//
//	R  255 if the box shows checked, else 0
//	G  when the box last changed, in Stamp units modulo 256
//	B  255 while the box is highlighted as changed, Refused (128) while
//	   it flashes as refused, else 0
//
// The shader fades a highlight by comparing G with the current stamp, so the
// CPU touches a box only when it changes and once when its highlight
// expires: the cost is proportional to changes, never to the grid.
//
// A Raster is not safe for concurrent use; the game loop owns it and the
// renderer reads Pix only from the same goroutine.
package raster

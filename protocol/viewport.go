package protocol

// Viewport is reserved for a client to say which region it shows, so a later
// server can send zone-limited updates. Servers of version 1 validate and
// ignore it.
//
//	offset size field
//	0      1    type = 0x12
//	1      2    x of the region's left column   (< GridWidth)
//	3      2    y of the region's top row       (< GridHeight)
//	5      2    width in boxes  (1..GridWidth-x)
//	7      2    height in boxes (1..GridHeight-y)
//	9           end
type Viewport struct{ X, Y, W, H uint16 }

// ViewportSize is the length of a Viewport frame.
const ViewportSize = 9

// AppendViewport appends v as a frame to dst.
func AppendViewport(dst []byte, v Viewport) []byte {
	dst = append(dst, byte(TypeViewport))
	dst = le.AppendUint16(dst, v.X)
	dst = le.AppendUint16(dst, v.Y)
	dst = le.AppendUint16(dst, v.W)
	return le.AppendUint16(dst, v.H)
}

// DecodeViewport decodes a Viewport frame and checks the region lies inside
// the grid.
func DecodeViewport(b []byte) (Viewport, error) {
	if err := exact(b, TypeViewport, ViewportSize); err != nil {
		return Viewport{}, err
	}
	v := Viewport{X: le.Uint16(b[1:]), Y: le.Uint16(b[3:]), W: le.Uint16(b[5:]), H: le.Uint16(b[7:])}
	if v.X >= GridWidth || v.Y >= GridHeight || v.W == 0 || v.H == 0 ||
		int(v.X)+int(v.W) > GridWidth || int(v.Y)+int(v.H) > GridHeight {
		return v, errField("viewport", uint64(v.X)<<48|uint64(v.Y)<<32|uint64(v.W)<<16|uint64(v.H))
	}
	return v, nil
}

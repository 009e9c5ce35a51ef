package protocol

// Viewport is the area a version-2 client subscribes to: the boxes on its
// screen plus a margin of its choosing. The server then sends it exact
// state and changes for that area only (AreaSnapshot, AreaDelta), or, for
// an area it widens to the whole grid, a Snapshot and every Delta. Servers
// of version 1 validate it and otherwise ignore it.
//
//	offset size field
//	0      1    type = 0x12
//	1      2    x of the area's left column   (< GridWidth)
//	3      2    y of the area's top row       (< GridHeight)
//	5      2    width in boxes  (1..GridWidth-x)
//	7      2    height in boxes (1..GridHeight-y)
//	9           end
type Viewport struct{ Area }

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

// DecodeViewport decodes a Viewport frame and checks the area lies inside
// the grid (ErrField otherwise).
func DecodeViewport(b []byte) (Viewport, error) {
	if err := exact(b, TypeViewport, ViewportSize); err != nil {
		return Viewport{}, err
	}
	v := Viewport{Area{X: le.Uint16(b[1:]), Y: le.Uint16(b[3:]), W: le.Uint16(b[5:]), H: le.Uint16(b[7:])}}
	if err := v.Valid(); err != nil {
		return v, err
	}
	return v, nil
}

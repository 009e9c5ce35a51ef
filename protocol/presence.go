package protocol

import (
	"encoding/binary"
	"fmt"

	"checkgrid/protocol/bitio"
)

// Presence is how many players look at each region of the grid (version
// 2): the grid cut into square cells of Cell boxes, and per cell the number
// of connections whose subscribed area is centred in it. Counts only, and
// coarse: a cell with one or two viewers says PresenceSome, so that a lone
// player, or a pair who know about each other, cannot be placed by anyone
// watching the map.
//
//	offset size field
//	0      1    type = 0x09
//	1      1    cell side in boxes (PresenceMinCell..PresenceMaxCell,
//	            dividing GridWidth and GridHeight)
//	2      2    k, number of non-empty cells (0..cells)
//	4      …    k counts, one unsigned LEB128 varint each (minimal length):
//	            1 = some (1 or 2 viewers), else the count (≥ 3); 0 and 2
//	            are invalid
//	…      …    packed index set of the k cells' indexes (row-major in the
//	            cell grid, < cells), zero-padded; absent when k = 0
type Presence struct {
	Cell int
	// Counts has one entry per cell, row-major: 0 none, PresenceSome, or an
	// exact count ≥ 3.
	Counts []uint32
}

// Presence limits. A cell below 10 boxes would place a player to within a
// few boxes; above 250 the map has fewer than 16 cells and says nothing.
const (
	PresenceMinCell = 10
	PresenceMaxCell = 250
	// PresenceSome is the value of a cell with 1 or 2 viewers.
	PresenceSome = 1
	// PresenceHeaderSize is the fixed part of a Presence frame.
	PresenceHeaderSize = 4
	// PresenceMaxCount is the largest count a cell can carry: a uint32
	// (at most 5 varint bytes), far above any server's connection cap.
	PresenceMaxCount = 1<<32 - 1
)

// PresenceCells returns the number of cells across and down for a cell side,
// or an ErrField error if the side is not allowed.
func PresenceCells(cell int) (cols, rows int, err error) {
	if cell < PresenceMinCell || cell > PresenceMaxCell || GridWidth%cell != 0 || GridHeight%cell != 0 {
		return 0, 0, fmt.Errorf("%w: presence cell of %d boxes", ErrField, cell)
	}
	return GridWidth / cell, GridHeight / cell, nil
}

// AppendPresence appends a Presence frame for viewers, the exact number of
// viewers per cell (row-major, one entry per cell). It applies the "some"
// rule itself, so no caller can leak a count of 1 or 2. It returns ErrField
// (dst unchanged) for a bad cell side or a slice of the wrong length.
func AppendPresence(dst []byte, cell int, viewers []uint32) ([]byte, error) {
	cols, rows, err := PresenceCells(cell)
	if err != nil {
		return dst, err
	}
	if len(viewers) != cols*rows {
		return dst, fmt.Errorf("%w: %d presence counts for %d cells", ErrField, len(viewers), cols*rows)
	}
	var idx []uint32
	for i, v := range viewers {
		if v != 0 {
			idx = append(idx, uint32(i))
		}
	}
	dst = append(dst, byte(TypePresence), byte(cell))
	dst = le.AppendUint16(dst, uint16(len(idx)))
	for _, i := range idx {
		v := viewers[i]
		if v < 3 {
			v = PresenceSome
		}
		dst = binary.AppendUvarint(dst, uint64(v))
	}
	if len(idx) == 0 {
		return dst, nil
	}
	bw := bitio.NewWriter(dst)
	_ = appendIndexSet(&bw, idx) // increasing and < cells ≤ Boxes: no error
	return bw.Flush(), nil
}

// DecodePresence decodes and fully checks a Presence frame. The result does
// not alias b.
func DecodePresence(b []byte) (Presence, error) {
	if err := header(b, TypePresence, PresenceHeaderSize); err != nil {
		return Presence{}, err
	}
	cell := int(b[1])
	cols, rows, err := PresenceCells(cell)
	if err != nil {
		return Presence{}, err
	}
	cells := cols * rows
	k := int(le.Uint16(b[2:]))
	if k > cells {
		return Presence{}, fmt.Errorf("%w: %d presence cells of %d", ErrCount, k, cells)
	}
	rest := b[PresenceHeaderSize:]
	if k == 0 {
		if len(rest) != 0 {
			return Presence{}, fmt.Errorf("%w: %d bytes after an empty presence map", ErrTrailing, len(rest))
		}
		return Presence{Cell: cell, Counts: make([]uint32, cells)}, nil
	}
	// k counts take at least k bytes, and the set at least minPackedBits.
	if len(rest) < k+(minPackedBits(k, 0)+7)/8 {
		return Presence{}, fmt.Errorf("%w: %d presence cells in %d bytes", ErrShort, k, len(rest))
	}
	vals := make([]uint32, k)
	pos := 0
	for i := range vals {
		v, n := binary.Uvarint(rest[pos:])
		switch {
		case n == 0:
			return Presence{}, fmt.Errorf("%w: presence count %d runs past the frame", ErrShort, i)
		case n < 0 || v > PresenceMaxCount:
			return Presence{}, fmt.Errorf("%w: presence count %d is over %d", ErrField, i, uint64(PresenceMaxCount))
		case n > 1 && rest[pos+n-1] == 0:
			return Presence{}, fmt.Errorf("%w: presence count %d is not a minimal varint", ErrField, i)
		case v == 0 || v == 2:
			return Presence{}, errField("presence count", v)
		}
		vals[i] = uint32(v)
		pos += n
	}
	packed := rest[pos:]
	if err := checkPackedSize(packed, k, 0); err != nil {
		return Presence{}, err
	}
	br := bitio.NewReader(packed)
	idx, err := readIndexSet(&br, k, 0, nil)
	if err != nil {
		return Presence{}, err
	}
	if err := finish(&br, TypePresence); err != nil {
		return Presence{}, err
	}
	p := Presence{Cell: cell, Counts: make([]uint32, cells)}
	for j, i := range idx {
		if int(i) >= cells {
			return Presence{}, fmt.Errorf("%w: presence cell %d of %d", ErrIndex, i, cells)
		}
		p.Counts[i] = vals[j]
	}
	return p, nil
}

// CellOf returns the index of the cell holding box (x, y) for a cell side.
func CellOf(cell int, x, y int) int { return (y/cell)*(GridWidth/cell) + x/cell }

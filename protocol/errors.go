package protocol

import (
	"errors"
	"fmt"
)

// Decoding errors. Every rejection wraps exactly one of these, so a server can
// count bad input by kind and a client can decide whether to resync.
var (
	// ErrShort means the frame ends before a field it must contain.
	ErrShort = errors.New("protocol: frame too short")
	// ErrTrailing means bytes (or non-zero padding bits) follow the last field.
	ErrTrailing = errors.New("protocol: trailing bytes after frame")
	// ErrType means the type byte is not a known frame type, or not the one the
	// decoder was asked for.
	ErrType = errors.New("protocol: unknown or unexpected frame type")
	// ErrVersion means a Welcome announced a protocol version this build does
	// not speak.
	ErrVersion = errors.New("protocol: unsupported protocol version")
	// ErrCount means a box count is zero where boxes are required, or larger
	// than the frame kind allows.
	ErrCount = errors.New("protocol: box count out of range")
	// ErrIndex means a box index is outside the grid.
	ErrIndex = errors.New("protocol: box index out of range")
	// ErrOrder means the boxes given to an encoder are not strictly increasing.
	ErrOrder = errors.New("protocol: box indexes not strictly increasing")
	// ErrParam means a packed index set names an impossible Rice parameter.
	ErrParam = errors.New("protocol: bad Rice parameter")
	// ErrEncoding means a Snapshot names an unknown payload encoding.
	ErrEncoding = errors.New("protocol: unknown snapshot encoding")
	// ErrRoaring means a roaring payload is malformed, holds values outside the
	// grid, or disagrees with the declared checked count.
	ErrRoaring = errors.New("protocol: invalid roaring bitmap")
	// ErrChecked means a snapshot's declared checked count does not match its
	// bits.
	ErrChecked = errors.New("protocol: checked count mismatch")
	// ErrField means a fixed field holds a value outside its documented range.
	ErrField = errors.New("protocol: field out of range")
)

func errField(name string, v uint64) error {
	return fmt.Errorf("%w: %s = %d", ErrField, name, v)
}

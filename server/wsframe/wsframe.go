package wsframe

import (
	"encoding/binary"
	"errors"
)

// Byte layout of a server frame header (RFC 6455 §5.2), payload length n:
//
//	byte 0     0x82: FIN, opcode 2 (binary)
//	byte 1     n if n < 126; 126 then n as uint16 (big-endian) if n < 65536;
//	           127 then n as uint64 (big-endian) otherwise. Mask bit 0.
const (
	finBinary = 0x82
	len16     = 126
	len64     = 127
)

// MaxHeader is the longest header Append writes.
const MaxHeader = 10

// ErrNotFrame means bytes are not a whole unmasked binary frame as Append
// makes them.
var ErrNotFrame = errors.New("wsframe: not a whole unmasked binary frame")

// Append appends payload wrapped in an unmasked, final, binary WebSocket
// frame to dst and returns the extended slice.
func Append(dst, payload []byte) []byte {
	n := len(payload)
	switch {
	case n < len16:
		dst = append(dst, finBinary, byte(n))
	case n < 1<<16:
		dst = append(dst, finBinary, len16)
		dst = binary.BigEndian.AppendUint16(dst, uint16(n))
	default:
		dst = append(dst, finBinary, len64)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	return append(dst, payload...)
}

// Wrap returns payload in a new slice sized exactly for its frame.
func Wrap(payload []byte) []byte {
	return Append(make([]byte, 0, MaxHeader+len(payload)), payload)
}

// Payload returns the payload of wire, a frame as Append made it (aliasing
// wire), or ErrNotFrame.
func Payload(wire []byte) ([]byte, error) {
	if len(wire) < 2 || wire[0] != finBinary || wire[1]&0x80 != 0 {
		return nil, ErrNotFrame
	}
	n, off := uint64(wire[1]), 2
	switch wire[1] {
	case len16:
		if len(wire) < 4 {
			return nil, ErrNotFrame
		}
		n, off = uint64(binary.BigEndian.Uint16(wire[2:])), 4
		if n < len16 {
			return nil, ErrNotFrame // not the minimal form (§5.2)
		}
	case len64:
		if len(wire) < 10 {
			return nil, ErrNotFrame
		}
		n, off = binary.BigEndian.Uint64(wire[2:]), 10
		if n < 1<<16 {
			return nil, ErrNotFrame
		}
	}
	if uint64(len(wire)-off) != n {
		return nil, ErrNotFrame
	}
	return wire[off:], nil
}

// Type returns the first payload byte of wire (checkgrid's frame type), or
// 0 if wire carries no payload. wire must be a frame Append made.
func Type(wire []byte) byte {
	off := 2
	switch wire[1] {
	case len16:
		off = 4
	case len64:
		off = 10
	}
	if len(wire) <= off {
		return 0
	}
	return wire[off]
}

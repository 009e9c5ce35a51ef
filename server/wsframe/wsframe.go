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
	off, end, err := split(wire)
	if err != nil || wire[0] != finBinary || end != len(wire) {
		return nil, ErrNotFrame
	}
	return wire[off:], nil
}

// Next splits wire, a stream of frames as Append, AppendPing and
// AppendPong make them (several written in one buffer), into its first
// frame and the rest, aliasing wire. A frame that is not one of those, or
// is cut short, is ErrNotFrame.
func Next(wire []byte) (frame, rest []byte, err error) {
	_, end, err := split(wire)
	if err != nil {
		return nil, nil, err
	}
	return wire[:end], wire[end:], nil
}

// split returns where the first frame of wire has its payload and where it
// ends.
func split(wire []byte) (off, end int, err error) {
	if len(wire) < 2 || wire[1]&0x80 != 0 {
		return 0, 0, ErrNotFrame
	}
	off = 2 + extLen(wire[1])
	if len(wire) < off {
		return 0, 0, ErrNotFrame
	}
	n := payloadLen(wire[1:off])
	switch wire[0] {
	case finPing, finPong:
		if n > MaxControlPayload {
			return 0, 0, ErrNotFrame
		}
	case finBinary:
		if (off == 4 && n < len16) || (off == 10 && n < 1<<16) {
			return 0, 0, ErrNotFrame // not the minimal form (§5.2)
		}
	default:
		return 0, 0, ErrNotFrame
	}
	if uint64(len(wire)-off) < n {
		return 0, 0, ErrNotFrame
	}
	return off, off + int(n), nil
}

// extLen is how many extended-length bytes follow a header's second byte
// b1 (mask bit clear): 0, 2 or 8 (RFC 6455 §5.2).
func extLen(b1 byte) int {
	switch b1 & 0x7f {
	case len16:
		return 2
	case len64:
		return 8
	}
	return 0
}

// payloadLen decodes the length from a header's second byte and its
// extended-length bytes (b, 1 + extLen(b[0]) bytes long).
func payloadLen(b []byte) uint64 {
	switch len(b) {
	case 3:
		return uint64(binary.BigEndian.Uint16(b[1:]))
	case 9:
		return binary.BigEndian.Uint64(b[1:])
	}
	return uint64(b[0] & 0x7f)
}

// Type returns the first payload byte of wire (checkgrid's frame type), or
// 0 if wire carries no payload or is a control frame. wire must be a frame
// Append, AppendPing or AppendPong made.
func Type(wire []byte) byte {
	if IsControl(wire) {
		return 0
	}
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

// Control frame first bytes: FIN plus opcode 9 (ping) or 10 (pong). A
// control frame's payload is at most 125 bytes (§5.5), so its length is
// always the one-byte form.
const (
	finPing = 0x89
	finPong = 0x8a
	// MaxControlPayload is the longest payload a control frame may carry.
	MaxControlPayload = 125
)

// AppendPing appends an unmasked ping frame with payload (at most
// MaxControlPayload bytes; longer is cut).
func AppendPing(dst, payload []byte) []byte { return appendControl(dst, finPing, payload) }

// AppendPong appends an unmasked pong frame echoing payload (at most
// MaxControlPayload bytes; longer is cut).
func AppendPong(dst, payload []byte) []byte { return appendControl(dst, finPong, payload) }

func appendControl(dst []byte, first byte, payload []byte) []byte {
	payload = payload[:min(len(payload), MaxControlPayload)]
	dst = append(dst, first, byte(len(payload)))
	return append(dst, payload...)
}

// IsControl reports whether wire is a ping or pong frame from AppendPing or
// AppendPong.
func IsControl(wire []byte) bool { return len(wire) >= 2 && (wire[0] == finPing || wire[0] == finPong) }

// AppendMasked appends a final client frame (RFC 6455 §5.3: clients mask)
// with opcode and payload masked by key. The server never sends these;
// test clients and the load generator do.
func AppendMasked(dst []byte, opcode byte, key [4]byte, payload []byte) []byte {
	dst = append(dst, 0x80|opcode)
	switch n := len(payload); {
	case n < len16:
		dst = append(dst, 0x80|byte(n))
	case n < 1<<16:
		dst = append(dst, 0x80|len16)
		dst = binary.BigEndian.AppendUint16(dst, uint16(n))
	default:
		dst = append(dst, 0x80|len64)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	dst = append(dst, key[:]...)
	for i, c := range payload {
		dst = append(dst, c^key[i&3])
	}
	return dst
}

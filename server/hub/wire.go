package hub

import "encoding/binary"

// Wire frames.
//
// Every server-to-client message is the same bytes for every client: a
// WebSocket frame from a server is never masked (RFC 6455 §5.1). So the hub
// wraps each protocol frame in its WebSocket header once, and writers copy
// the result straight to the socket with one write, instead of passing it
// through coder/websocket's per-message path (its write mutex, frame header
// and buffer copy were about 15 % of the server's CPU under fan-out). The
// library still owns the handshake, reading, pings and the close handshake.
//
// Why this is safe alongside the library: a writer goroutine is the only
// one that sends data frames and Pings, so those never overlap; the library
// writes Pongs and Close replies from the reader, each as one small frame in
// one net.Conn.Write, and the kernel never interleaves the bytes of two
// writes on a stream socket (Go's poll.FD holds its write lock for a whole
// Write).
//
// Byte layout of the header (RFC 6455 §5.2), payload length n:
//
//	byte 0     0x82: FIN, opcode 2 (binary)
//	byte 1     n if n < 126; 126 then n as uint16 (big-endian) if n < 65536;
//	           127 then n as uint64 (big-endian) otherwise. Mask bit 0.
const (
	wsFinBinary = 0x82
	wsLen16     = 126
	wsLen64     = 127
)

// wireFrame returns payload wrapped in an unmasked binary WebSocket frame,
// in a new slice.
func wireFrame(payload []byte) []byte {
	n := len(payload)
	var dst []byte
	switch {
	case n < wsLen16:
		dst = make([]byte, 0, 2+n)
		dst = append(dst, wsFinBinary, byte(n))
	case n < 1<<16:
		dst = make([]byte, 0, 4+n)
		dst = append(dst, wsFinBinary, wsLen16)
		dst = binary.BigEndian.AppendUint16(dst, uint16(n))
	default:
		dst = make([]byte, 0, 10+n)
		dst = append(dst, wsFinBinary, wsLen64)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	return append(dst, payload...)
}

// frameType returns the protocol frame type of a wire frame.
func frameType(wire []byte) byte {
	switch wire[1] {
	case wsLen16:
		return wire[4]
	case wsLen64:
		return wire[10]
	}
	return wire[2]
}

package wsconn

import (
	"encoding/binary"
	"fmt"

	"checkgrid/protocol"
	"checkgrid/server/hub"
)

// gate reads the client's frame headers (RFC 6455 §5.2) as the bytes go by
// on their way to coder/websocket, and stops the stream at the first header
// the server must refuse, before the library acts on it:
//
//   - an unmasked frame (§5.1: "MUST close"), a reserved bit set (no
//     extension is negotiated), a reserved opcode, a control frame longer
//     than 125 bytes or fragmented (§5.5), a 64-bit length with its top bit
//     set (§5.2): 1002;
//   - a frame longer than protocol.MaxClientMessage: 1009 at the header,
//     not after waiting for a payload that may never come.
//
// Left alone, the library closes the socket bare on an unmasked frame,
// reads a length with the top bit set as an empty message, and waits for a
// claimed 2^62-byte payload until the ping timeout. Stopping means: the
// bytes before the bad header pass, and every later read returns a
// hub.FrameError, which the hub turns into a close with its code.
//
// A gate is used by the connection's one reader; it is not safe for
// concurrent use.
type gate struct {
	hdr  [maxHeader]byte
	have int    // header bytes seen
	ext  int    // extended length bytes of this header: 0, 2 or 8
	n    uint64 // this header's payload length, once checked
	skip uint64 // payload bytes of the current frame still to pass
	err  error  // set once the stream is stopped
}

// Frame header layout (RFC 6455 §5.2).
const (
	maxHeader      = 2 + 8 + 4 // first two bytes, 64-bit length, masking key
	maskKey        = 4
	finBit         = 0x80
	rsvBits        = 0x70
	opcodeBits     = 0x0f
	maskBit        = 0x80
	len7Bits       = 0x7f
	len16          = 126 // len7 value: a 16-bit length follows
	len64          = 127 // len7 value: a 64-bit length follows
	maxControlData = 125 // §5.5
)

// scan takes the next bytes of the stream and returns how many of them may
// be passed on: all of them, or those before the first refused header (then
// g.err is set). A header may span calls; each check runs as soon as its
// bytes are in, so a bad length is refused before the masking key arrives.
func (g *gate) scan(b []byte) int {
	for i := 0; i < len(b); {
		if g.skip > 0 {
			n := min(uint64(len(b)-i), g.skip)
			i += int(n)
			g.skip -= n
			continue
		}
		start := i - g.have // where this header began; negative if in an earlier call
		g.hdr[g.have] = b[i]
		g.have++
		i++
		var err error
		if g.have == 2 {
			err = g.checkFirst()
		}
		if err == nil && g.have >= 2 && g.have == 2+g.ext {
			g.n, err = g.length()
		}
		if err != nil {
			g.err = err
			return max(start, 0)
		}
		if g.have >= 2 && g.have == 2+g.ext+maskKey {
			g.skip, g.have = g.n, 0
		}
	}
	return len(b)
}

// atBoundary reports whether every byte scanned so far ends a frame: the
// next byte is the first of a header.
func (g *gate) atBoundary() bool { return g.have == 0 && g.skip == 0 }

// checkFirst checks the first two bytes and sets ext.
func (g *gate) checkFirst() error {
	b0, b1 := g.hdr[0], g.hdr[1]
	op := b0 & opcodeBits
	switch {
	case b1&maskBit == 0:
		return refuse(protocol.CloseFraming, "unmasked client frame")
	case b0&rsvBits != 0:
		return refuse(protocol.CloseFraming, "reserved bits set (no extension negotiated)")
	case op >= 3 && op <= 7 || op >= 11:
		return refuse(protocol.CloseFraming, fmt.Sprintf("reserved opcode %d", op))
	case op >= 8 && b0&finBit == 0:
		return refuse(protocol.CloseFraming, "fragmented control frame")
	case op >= 8 && b1&len7Bits > maxControlData:
		return refuse(protocol.CloseFraming, "control frame longer than 125 bytes")
	}
	switch b1 & len7Bits {
	case len16:
		g.ext = 2
	case len64:
		g.ext = 8
	default:
		g.ext = 0
	}
	return nil
}

// length returns the payload length of the header in g.hdr, refusing one
// the server will not read.
func (g *gate) length() (uint64, error) {
	var n uint64
	switch g.hdr[1] & len7Bits {
	case len16:
		n = uint64(binary.BigEndian.Uint16(g.hdr[2:4]))
	case len64:
		n = binary.BigEndian.Uint64(g.hdr[2:10])
		if n>>63 != 0 {
			return 0, refuse(protocol.CloseFraming, "64-bit length with its most significant bit set")
		}
	default:
		n = uint64(g.hdr[1] & len7Bits)
	}
	if n > protocol.MaxClientMessage {
		return 0, refuse(protocol.CloseMessageLimit, fmt.Sprintf("frame of %d bytes, at most %d", n, protocol.MaxClientMessage))
	}
	return n, nil
}

func refuse(code protocol.CloseCode, why string) error {
	return hub.FrameError{Code: code, Why: why}
}

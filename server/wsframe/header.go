package wsframe

import (
	"bufio"
	"encoding/binary"
	"errors"
)

// Header is the head of a server frame read from a byte stream: its first
// byte (FIN, RSV bits, opcode) and its payload length.
type Header struct {
	First byte
	Len   uint64
}

// Opcode is the frame's opcode (RFC 6455 §5.2: 1 text, 2 binary, 8 close,
// 9 ping, 10 pong).
func (h Header) Opcode() byte { return h.First & 0x0f }

// Fin reports whether the frame ends its message.
func (h Header) Fin() bool { return h.First&0x80 != 0 }

// ErrMasked means a frame from a server was masked, which §5.1 forbids.
var ErrMasked = errors.New("wsframe: masked server frame")

// ReadHeader reads one server frame's header from br, leaving br at its
// payload. It is for clients that read the stream themselves (tests, the
// load generator): it allocates nothing, and says nothing about the
// opcode or length beyond reading them; the caller checks what it accepts.
func ReadHeader(br *bufio.Reader) (Header, error) {
	b0, err := br.ReadByte()
	if err != nil {
		return Header{}, err
	}
	b1, err := br.ReadByte()
	if err != nil {
		return Header{}, err
	}
	if b1&0x80 != 0 {
		return Header{}, ErrMasked
	}
	h := Header{First: b0, Len: uint64(b1 & 0x7f)}
	ext := 0
	switch h.Len {
	case len16:
		ext = 2
	case len64:
		ext = 8
	}
	if ext > 0 {
		x, err := br.Peek(ext)
		if err != nil {
			return Header{}, err
		}
		if ext == 2 {
			h.Len = uint64(binary.BigEndian.Uint16(x))
		} else {
			h.Len = binary.BigEndian.Uint64(x)
		}
		_, _ = br.Discard(ext) // Peek made them buffered
	}
	return h, nil
}

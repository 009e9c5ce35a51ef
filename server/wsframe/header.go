package wsframe

import (
	"bufio"
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
	b, err := br.Peek(2)
	if err != nil {
		return Header{}, err
	}
	if b[1]&0x80 != 0 {
		return Header{}, ErrMasked
	}
	n := 2 + extLen(b[1])
	if b, err = br.Peek(n); err != nil {
		return Header{}, err
	}
	h := Header{First: b[0], Len: payloadLen(b[1:n])}
	_, _ = br.Discard(n) // Peek made them buffered
	return h, nil
}

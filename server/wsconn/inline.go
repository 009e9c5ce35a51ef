package wsconn

import (
	"errors"

	"checkgrid/server/hub"
)

// The frames a parked connection's poller reads by itself.
//
// Whole, masked, unfragmented binary messages, pings and pongs: what a
// player sends all day, with a header the gate (gate.go) lets through,
// checked by the gate itself. Every frame the poller
// does not take, valid or not, is left to coder/websocket behind the gate,
// which accepts or refuses it with the same codes as for a connection
// that never parked. The poller takes frames only at a frame boundary
// (Park checks it), so the bytes it leaves start at a header, where the
// gate expects one.

// frameFit is what the poller can do with the bytes at a header.
type frameFit uint8

const (
	fitWhole   frameFit = iota // a frame the poller takes, all there
	fitPartial                 // the start of one it would take: wait for the rest
	fitLibrary                 // a frame for coder/websocket
)

func (f frameFit) String() string {
	switch f {
	case fitWhole:
		return "whole"
	case fitPartial:
		return "partial"
	case fitLibrary:
		return "library"
	}
	return "frameFit(?)"
}

// WebSocket opcodes the poller takes (RFC 6455 §5.2).
const (
	opBinary = 0x2
	opPing   = 0x9
	opPong   = 0xa
)

// inlineFrame looks at the frame header at the start of b and says
// whether the poller takes the frame; for a whole one it returns its
// opcode, its payload unmasked in place, and its length on the wire. The
// header's RFC 6455 checks and its length are the gate's, run on the
// header's bytes alone: a header the gate refuses goes to the library,
// which refuses it with the gate's code.
func inlineFrame(b []byte) (fit frameFit, op byte, payload []byte, size int) {
	if len(b) == 0 {
		return fitPartial, 0, nil, 0
	}
	op = b[0] & opcodeBits
	if b[0]&finBit == 0 || op != opBinary && op != opPing && op != opPong {
		return fitLibrary, 0, nil, 0
	}
	var g gate
	hdr := 0
	for i := 0; i < min(len(b), maxHeader) && hdr == 0; i++ {
		if g.scan(b[i : i+1]); g.err != nil {
			return fitLibrary, 0, nil, 0
		}
		if g.have == 0 { // the masking key's last byte: the header is whole
			hdr = i + 1
		}
	}
	if hdr == 0 {
		return fitPartial, 0, nil, 0
	}
	size = hdr + int(g.n)
	if len(b) < size {
		return fitPartial, 0, nil, 0
	}
	payload = b[hdr:size]
	unmask(payload, b[hdr-maskKey:hdr])
	return fitWhole, op, payload, size
}

// unmask unmasks payload in place with the 4-byte key (RFC 6455 §5.3).
func unmask(payload, key []byte) {
	for i := range payload {
		payload[i] ^= key[i&3]
	}
}

// readParked reads what the parked connection's socket holds into buf
// (after the bytes it kept from the last time) and handles its whole
// frames, keeping an unfinished one in pending. It returns true when the
// parking ends: a frame for the library (kept in pending, ahead of the
// socket), the end of the stream or a failed read, or deliver saying no
// more. Run by the poller's goroutine, the connection's one reader while
// it is parked.
//
// A plain socket is read once: if it still holds bytes, it stays readable
// (the set is level-triggered). Over TLS, crypto/tls may hold whole records
// the socket no longer shows, so the read goes on until crypto/tls asks
// the socket for more and finds nothing (readNow).
func (r *readConn) readParked(buf []byte) (end bool) {
	b := append(buf[:0], r.pending...)
	r.pending = nil
	for first := true; ; first = false {
		n, err := r.readNow(b[len(b):cap(b)], first)
		b = b[:len(b)+n]
		idle := errors.Is(err, errIdle) // woken for nothing, or all read
		b, end = r.takeFrames(b)
		if end || err != nil || r.sock == nil {
			if len(b) > 0 {
				r.pending = append([]byte(nil), b...)
			}
			return end || err != nil && !idle
		}
		b = buf[:copy(buf, b)]
	}
}

// takeFrames handles the whole frames at the start of b and returns what
// is left of b (an unfinished frame, or the first frame for the library),
// and whether the parking ends (a frame for the library, or deliver
// saying no more).
func (r *readConn) takeFrames(b []byte) (rest []byte, end bool) {
	for len(b) > 0 {
		fit, op, payload, size := inlineFrame(b)
		if fit != fitWhole {
			return b, fit == fitLibrary
		}
		b = b[size:]
		switch op {
		case opBinary:
			if !r.deliver(payload) {
				return b, true
			}
		case opPing:
			r.report(hub.ControlPing, payload)
		case opPong:
			r.report(hub.ControlPong, payload)
		}
	}
	return b, false
}

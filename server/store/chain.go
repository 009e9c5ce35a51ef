package store

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"

	"checkgrid/protocol"
)

// Chain is a value of the history's hash chain (doc.go, "Hash chain"): the
// SHA-256 that commits to a base grid and every record after it.
type Chain [sha256.Size]byte

// chainBaseTag starts every chain's base value, so a base can never be
// taken for a record step.
const chainBaseTag = "checkgrid history base v1"

// ChainBase is the chain's value at the first keyframe of a history: it
// commits to that keyframe's epoch, seq, toggles and grid (the raw bitset,
// box i in bit i%8 of byte i/8).
func ChainBase(epoch, seq, toggles uint64, g *protocol.Bitset) Chain {
	h := sha256.New()
	h.Write([]byte(chainBaseTag))
	var b [24]byte
	binary.LittleEndian.PutUint64(b[0:], epoch)
	binary.LittleEndian.PutUint64(b[8:], seq)
	binary.LittleEndian.PutUint64(b[16:], toggles)
	h.Write(b[:])
	var w [8]byte
	for _, x := range g {
		binary.LittleEndian.PutUint64(w[:], x)
		h.Write(w[:])
	}
	var c Chain
	h.Sum(c[:0])
	return c
}

// chainer computes record steps with one reused hash state.
type chainer struct {
	h   hash.Hash
	buf [32]byte
}

// next returns the chain after record seq of epoch (committed at unixNano,
// 0 if unknown, with toggles and frame) given prev, its value before.
func (c *chainer) next(prev Chain, epoch, seq uint64, unixNano int64, toggles uint64, frame []byte) Chain {
	if c.h == nil {
		c.h = sha256.New()
	}
	c.h.Reset()
	c.h.Write(prev[:])
	le := binary.LittleEndian
	le.PutUint64(c.buf[0:], epoch)
	le.PutUint64(c.buf[8:], seq)
	le.PutUint64(c.buf[16:], uint64(unixNano))
	le.PutUint64(c.buf[24:], toggles)
	c.h.Write(c.buf[:])
	c.h.Write(frame)
	var out Chain
	c.h.Sum(out[:0])
	return out
}

// Next returns the chain after record seq (doc.go, "Hash chain") given c,
// its value before: for readers of history outside the store (verify,
// export); the store itself reuses one hash state.
func (c Chain) Next(epoch, seq uint64, unixNano int64, toggles uint64, frame []byte) Chain {
	var ch chainer
	return ch.next(c, epoch, seq, unixNano, toggles, frame)
}

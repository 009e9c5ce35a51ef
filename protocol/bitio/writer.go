package bitio

import "math/bits"

// Writer appends bits most-significant first to a byte slice. It owns the
// slice until Flush returns it. The zero value appends to a nil slice.
type Writer struct {
	buf []byte
	acc uint64 // pending bits, right-aligned
	n   uint   // number of pending bits, < 8 after each write
}

// NewWriter returns a Writer that appends to dst.
func NewWriter(dst []byte) Writer {
	return Writer{buf: dst}
}

// Write appends the low w bits of v; w ≤ 56.
func (bw *Writer) Write(v uint64, w uint) {
	bw.acc = bw.acc<<w | (v & (1<<w - 1))
	bw.n += w
	for bw.n >= 8 {
		bw.n -= 8
		bw.buf = append(bw.buf, byte(bw.acc>>bw.n))
	}
}

// Unary appends q one-bits and a terminating zero.
func (bw *Writer) Unary(q uint64) {
	for q >= 32 {
		bw.Write(1<<32-1, 32)
		q -= 32
	}
	bw.Write((1<<q-1)<<1, uint(q)+1)
}

// Gamma appends x ≥ 1 as an Elias gamma code: bits.Len(x)-1 zero bits,
// then x in bits.Len(x) bits.
func (bw *Writer) Gamma(x uint64) {
	n := uint(bits.Len64(x))
	bw.Write(0, n-1)
	bw.Write(x, n)
}

// Flush pads the last byte with zero bits and returns the buffer.
func (bw *Writer) Flush() []byte {
	if bw.n > 0 {
		bw.buf = append(bw.buf, byte(bw.acc<<(8-bw.n)))
		bw.n = 0
	}
	bw.acc = 0
	return bw.buf
}

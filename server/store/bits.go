package store

import "math/bits"

// Bit packing for the run-coded index sets of version-3 records, in the
// protocol's convention (most significant bit first, unary as one-bits and
// a zero): a copy of protocol's unexported reader and writer, as the store
// codes sets the wire never carries.

// bitWriter appends bits to buf.
type bitWriter struct {
	buf []byte
	acc uint64 // pending bits, right-aligned
	n   uint   // number of pending bits, < 8 after each write
}

// write appends the low w bits of v; w ≤ 56.
func (bw *bitWriter) write(v uint64, w uint) {
	bw.acc = bw.acc<<w | (v & (1<<w - 1))
	bw.n += w
	for bw.n >= 8 {
		bw.n -= 8
		bw.buf = append(bw.buf, byte(bw.acc>>bw.n))
	}
}

// unary appends q one-bits and a terminating zero.
func (bw *bitWriter) unary(q uint64) {
	for q >= 32 {
		bw.write(1<<32-1, 32)
		q -= 32
	}
	bw.write((1<<q-1)<<1, uint(q)+1)
}

// gamma appends x ≥ 1 as an Elias gamma code: bits.Len(x)-1 zero bits,
// then x in bits.Len(x) bits.
func (bw *bitWriter) gamma(x uint64) {
	n := uint(bits.Len64(x))
	bw.write(0, n-1)
	bw.write(x, n)
}

// flush pads the last byte with zero bits and returns the buffer.
func (bw *bitWriter) flush() []byte {
	if bw.n > 0 {
		bw.buf = append(bw.buf, byte(bw.acc<<(8-bw.n)))
		bw.n = 0
	}
	bw.acc = 0
	return bw.buf
}

// bitReader reads bits most-significant first from a byte slice it does not
// own. Reads past the end return zeros and set a sticky overrun flag, so
// loops test once at the end instead of per bit.
type bitReader struct {
	src   []byte
	pos   int    // next byte of src to load
	cache uint64 // bits, left-aligned
	n     uint   // valid bits in cache
	over  bool   // a read went past the end
}

func (br *bitReader) refill() {
	for br.n <= 56 && br.pos < len(br.src) {
		br.cache |= uint64(br.src[br.pos]) << (56 - br.n)
		br.pos++
		br.n += 8
	}
}

// read returns the next w bits, w ≤ 56.
func (br *bitReader) read(w uint) uint64 {
	if w == 0 {
		return 0
	}
	if br.n < w {
		br.refill()
		if br.n < w {
			br.over = true
			br.n = w // pretend zeros
		}
	}
	v := br.cache >> (64 - w)
	br.cache <<= w
	br.n -= w
	return v
}

// unary reads one-bits up to a zero and returns their count, giving up with
// over set once the count exceeds limit.
func (br *bitReader) unary(limit uint64) uint64 {
	var q uint64
	for {
		if br.n == 0 {
			br.refill()
			if br.n == 0 {
				br.over = true
				return q
			}
		}
		ones := uint(bits.LeadingZeros64(^br.cache))
		if ones < br.n {
			q += uint64(ones)
			br.cache <<= ones + 1
			br.n -= ones + 1
			if q > limit {
				br.over = true
			}
			return q
		}
		q += uint64(br.n)
		br.cache = 0
		br.n = 0
		if q > limit {
			br.over = true
			return q
		}
	}
}

// gamma reads an Elias gamma code of at most maxBits bits of value (so
// x < 2^maxBits), setting over if it is longer.
func (br *bitReader) gamma(maxBits uint) uint64 {
	z := uint(0)
	for br.read(1) == 0 {
		z++
		if z >= maxBits || br.over {
			br.over = true
			return 1
		}
	}
	return 1<<z | br.read(z)
}

// remaining returns how many unread bits are left.
func (br *bitReader) remaining() int {
	return int(br.n) + 8*(len(br.src)-br.pos)
}

// restZero reports whether every unread bit is zero.
func (br *bitReader) restZero() bool {
	if br.cache != 0 {
		return false
	}
	for _, b := range br.src[br.pos:] {
		if b != 0 {
			return false
		}
	}
	return true
}

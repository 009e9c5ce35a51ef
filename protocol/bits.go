package protocol

import "math/bits"

// bitWriter appends bits most-significant first to a byte slice. It owns
// buf until flush returns it.
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
// own. Reads past the end return zeros and set a sticky overrun flag, so hot
// loops test once at the end instead of per bit.
type bitReader struct {
	src   []byte
	pos   int    // next byte of src to load
	cache uint64 // bits, left-aligned
	n     uint   // valid bits in cache
	over  bool   // a read went past the end
}

func (br *bitReader) refill() {
	for br.n <= 56 {
		if br.pos < len(br.src) {
			br.cache |= uint64(br.src[br.pos]) << (56 - br.n)
			br.pos++
			br.n += 8
			continue
		}
		return
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

// remaining returns how many unread bits are left.
func (br *bitReader) remaining() int {
	return int(br.n) + 8*(len(br.src)-br.pos)
}

// restZero reports whether every unread bit is zero.
func (br *bitReader) restZero() bool {
	if br.n > 0 && br.cache>>(64-br.n) != 0 {
		return false
	}
	for _, c := range br.src[br.pos:] {
		if c != 0 {
			return false
		}
	}
	return true
}

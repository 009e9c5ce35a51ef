package bitio

import "math/bits"

// Reader reads bits most-significant first from a byte slice it does not
// own. Reads past the end return zeros and set a sticky overrun flag (Over),
// so hot loops test once at the end instead of per bit.
type Reader struct {
	src   []byte
	pos   int    // next byte of src to load
	cache uint64 // bits, left-aligned; the bits below the valid n are zero
	n     uint   // valid bits in cache
	over  bool   // a read went past the end
}

// NewReader returns a Reader of src.
func NewReader(src []byte) Reader {
	return Reader{src: src}
}

// Over reports whether any read so far went past the end (or a Unary or
// Gamma code past its limit).
func (br *Reader) Over() bool {
	return br.over
}

func (br *Reader) refill() {
	for br.n <= 56 && br.pos < len(br.src) {
		br.cache |= uint64(br.src[br.pos]) << (56 - br.n)
		br.pos++
		br.n += 8
	}
}

// Read returns the next w bits, w ≤ 56.
func (br *Reader) Read(w uint) uint64 {
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

// Unary reads one-bits up to a zero and returns their count, giving up with
// Over set once the count exceeds limit.
func (br *Reader) Unary(limit uint64) uint64 {
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

// Gamma reads an Elias gamma code of at most maxBits bits of value (so
// x < 2^maxBits), setting Over if it is longer.
func (br *Reader) Gamma(maxBits uint) uint64 {
	z := uint(0)
	for br.Read(1) == 0 {
		z++
		if z >= maxBits || br.over {
			br.over = true
			return 1
		}
	}
	return 1<<z | br.Read(z)
}

// Remaining returns how many unread bits are left.
func (br *Reader) Remaining() int {
	return int(br.n) + 8*(len(br.src)-br.pos)
}

// RestZero reports whether every unread bit is zero.
func (br *Reader) RestZero() bool {
	if br.cache != 0 { // the bits below n are zero, so only unread ones count
		return false
	}
	for _, b := range br.src[br.pos:] {
		if b != 0 {
			return false
		}
	}
	return true
}

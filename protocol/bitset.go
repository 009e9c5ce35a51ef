package protocol

import "math/bits"

// BitsetWords is the number of 64-bit words in a Bitset.
const BitsetWords = Boxes / 64

// Bitset is a whole grid, one bit per box: box i is bit i%64 of word i/64.
// Serialised little-endian word by word it is exactly the raw snapshot
// encoding (box i is bit i%8 of byte i/8). A Bitset is a plain value with no
// internal locking: its owner serialises access.
type Bitset [BitsetWords]uint64

// Get reports whether box i is checked.
func (b *Bitset) Get(i uint32) bool { return b[i>>6]>>(i&63)&1 != 0 }

// Put sets box i to v and reports whether that changed it.
func (b *Bitset) Put(i uint32, v bool) bool {
	old := b.Get(i)
	if v {
		b[i>>6] |= 1 << (i & 63)
	} else {
		b[i>>6] &^= 1 << (i & 63)
	}
	return old != v
}

// Flip inverts box i and returns its new value.
func (b *Bitset) Flip(i uint32) bool {
	b[i>>6] ^= 1 << (i & 63)
	return b.Get(i)
}

// Count returns the number of checked boxes.
func (b *Bitset) Count() int {
	n := 0
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return n
}

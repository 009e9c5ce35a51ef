package bitio

import (
	"bytes"
	"testing"
)

// TestWriterBytes checks the bit order against codes written out by hand.
func TestWriterBytes(t *testing.T) {
	var bw Writer
	bw.Write(5, 3) // 101
	bw.Unary(2)    // 110
	bw.Gamma(5)    // 00 101
	if got, want := bw.Flush(), []byte{0b1011_1000, 0b1010_0000}; !bytes.Equal(got, want) {
		t.Errorf("Write, Unary, Gamma: % x, want % x", got, want)
	}
	long := NewWriter([]byte{0xAB})
	long.Unary(40) // more ones than one Write holds
	if got, want := long.Flush(), []byte{0xAB, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00}; !bytes.Equal(got, want) {
		t.Errorf("Unary(40) after a byte: % x, want % x", got, want)
	}
}

func TestReader(t *testing.T) {
	br := NewReader([]byte{0b1011_1000, 0b1010_0000})
	if v := br.Read(3); v != 5 {
		t.Errorf("Read(3) = %d, want 5", v)
	}
	if q := br.Unary(10); q != 2 {
		t.Errorf("Unary = %d, want 2", q)
	}
	if x := br.Gamma(20); x != 5 {
		t.Errorf("Gamma = %d, want 5", x)
	}
	if r := br.Remaining(); r != 5 || !br.RestZero() || br.Over() {
		t.Errorf("after the codes: %d bits left, rest zero %v, over %v; want 5, true, false", r, br.RestZero(), br.Over())
	}
	if v := br.Read(8); v != 0 || !br.Over() {
		t.Errorf("Read past the end = %d, over %v; want 0, true", v, br.Over())
	}

	long := NewReader([]byte{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00})
	if q := long.Unary(100); q != 40 || long.Over() {
		t.Errorf("Unary over several refills = %d, over %v; want 40, false", q, long.Over())
	}
}

// TestReaderRejects covers each way a Reader flags a stream it cannot read.
func TestReaderRejects(t *testing.T) {
	for _, c := range []struct {
		name string
		src  []byte
		read func(*Reader)
	}{
		{"unary past its limit", []byte{0xFF, 0xFF, 0x00}, func(br *Reader) { br.Unary(10) }},
		{"unary without its zero", []byte{0xFF}, func(br *Reader) { br.Unary(100) }},
		{"gamma longer than maxBits", []byte{0x00, 0x80}, func(br *Reader) { br.Gamma(4) }},
		{"gamma cut short", []byte{0x01}, func(br *Reader) { br.Gamma(20) }},
		{"read of an empty stream", nil, func(br *Reader) { br.Read(1) }},
	} {
		br := NewReader(c.src)
		c.read(&br)
		if !br.Over() {
			t.Errorf("%s: Over is false", c.name)
		}
	}
	br := NewReader([]byte{0x01})
	br.Read(7)
	if br.RestZero() {
		t.Error("RestZero with a one-bit left")
	}
}

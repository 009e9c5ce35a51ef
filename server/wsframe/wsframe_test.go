package wsframe

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"testing"
)

func TestRoundTripEveryLengthForm(t *testing.T) {
	for _, n := range []int{0, 1, 125, 126, 65535, 65536, 200_000} {
		p := bytes.Repeat([]byte{3}, n)
		w := Wrap(p)
		got, err := Payload(w)
		if err != nil || !bytes.Equal(got, p) {
			t.Fatalf("n=%d: %v", n, err)
		}
		if n > 0 && Type(w) != 3 {
			t.Fatalf("n=%d: type %d", n, Type(w))
		}
		if _, err := Payload(w[:len(w)-1]); n > 0 && !errors.Is(err, ErrNotFrame) {
			t.Fatalf("n=%d: cut frame: %v", n, err)
		}
	}
	if _, err := Payload([]byte{0x81, 0}); !errors.Is(err, ErrNotFrame) {
		t.Fatal("a text frame passed as binary")
	}
}

func FuzzPayload(f *testing.F) {
	f.Add(Wrap([]byte{1, 2, 3}))
	f.Add([]byte{0x82, 127, 0xff, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Payload(b)
		if err != nil {
			return
		}
		if !bytes.Equal(Wrap(p), b) {
			t.Fatalf("Payload accepted a frame Append would not make: %x", b)
		}
	})
}

func FuzzNext(f *testing.F) {
	f.Add(append(append(Wrap([]byte{1, 2, 3}), AppendPing(nil, nil)...), Wrap(make([]byte, 300))...))
	f.Add([]byte{0x89, 0x7e})
	f.Fuzz(func(t *testing.T, b []byte) {
		for len(b) > 0 {
			frame, rest, err := Next(b)
			if err != nil {
				return
			}
			if len(frame)+len(rest) != len(b) || len(frame) < 2 {
				t.Fatalf("Next split %d bytes into %d + %d", len(b), len(frame), len(rest))
			}
			if p, err := Payload(frame); err == nil && !bytes.Equal(Wrap(p), frame) {
				t.Fatalf("Next's frame is not one Append makes: %x", frame)
			}
			b = rest
		}
	})
}

// ReadHeader, reading a stream, agrees with Next on every frame Next
// accepts, and never fails on one.
func FuzzReadHeader(f *testing.F) {
	f.Add(append(Wrap(make([]byte, 200)), AppendPong(nil, []byte("x"))...))
	f.Add([]byte{0x82, 0xfe, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		br := bufio.NewReader(bytes.NewReader(b))
		for len(b) > 0 {
			frame, rest, err := Next(b)
			h, herr := ReadHeader(br)
			if err != nil {
				return
			}
			off, _, _ := split(frame)
			if herr != nil || h.First != frame[0] || h.Len != uint64(len(frame)-off) {
				t.Fatalf("ReadHeader %+v, %v for frame %x", h, herr, frame)
			}
			if _, err := br.Discard(int(h.Len)); err != nil {
				t.Fatal(err)
			}
			b = rest
		}
	})
}

// Several frames written as one buffer split back into each.
func ExampleNext() {
	wire := append(Wrap([]byte{0x06, 0x01}), AppendPing(nil, nil)...)
	for len(wire) > 0 {
		frame, rest, _ := Next(wire)
		fmt.Printf("% x\n", frame)
		wire = rest
	}
	// Output:
	// 82 02 06 01
	// 89 00
}

// Append wraps a protocol frame once; the same bytes then go to every
// client.
func ExampleAppend() {
	wire := Append(nil, []byte{0x06, 0x01}) // a Resync frame
	fmt.Printf("% x\n", wire)
	p, _ := Payload(wire)
	fmt.Printf("% x\n", p)
	// Output:
	// 82 02 06 01
	// 06 01
}

func TestControlFrames(t *testing.T) {
	p := AppendPing(nil, []byte("hi"))
	if !bytes.Equal(p, []byte{0x89, 2, 'h', 'i'}) || !IsControl(p) || Type(p) != 0 {
		t.Fatalf("ping % x", p)
	}
	long := AppendPong(nil, bytes.Repeat([]byte{1}, 300))
	if long[0] != 0x8a || long[1] != MaxControlPayload || len(long) != 2+MaxControlPayload {
		t.Fatalf("pong of a long payload: % x", long[:2])
	}
	if IsControl(Wrap([]byte{1})) {
		t.Fatal("a data frame taken for control")
	}
}

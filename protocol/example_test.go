package protocol_test

import (
	"errors"
	"fmt"

	"checkgrid/protocol"
)

// A server encodes the boxes flipped in one tick as Delta seq; every client
// decodes the same bytes.
func ExampleAppendDelta() {
	frame, err := protocol.AppendDelta(nil, 42, []uint32{7, 8, 9, 500_000})
	if err != nil {
		panic(err)
	}
	d, err := protocol.DecodeDelta(frame)
	if err != nil {
		panic(err)
	}
	boxes, err := d.AppendIndexes(nil)
	fmt.Println(d.Seq, d.Count, boxes, err, len(frame)-protocol.DeltaHeaderSize, "payload bytes")
	// Output: 42 4 [7 8 9 500000] <nil> 11 payload bytes
}

// Decoders reject bad bytes with a named error, never a panic.
func ExampleDecodeDelta() {
	_, err := protocol.DecodeDelta([]byte{0x03, 1, 0, 0})
	fmt.Println(errors.Is(err, protocol.ErrShort))
	_, err = protocol.DecodeDelta([]byte{0x05})
	fmt.Println(errors.Is(err, protocol.ErrType))
	// Output:
	// true
	// true
}

// A client asks for boxes with a Set; the server reads the changes back.
func ExampleAppendSet() {
	frame, err := protocol.AppendSet(nil, []protocol.Change{{Index: 10, Value: true}, {Index: 11, Value: false}})
	if err != nil {
		panic(err)
	}
	s, err := protocol.DecodeSet(frame)
	if err != nil {
		panic(err)
	}
	changes, err := s.AppendChanges(nil)
	fmt.Println(changes, err)
	// Output: [{10 true} {11 false}] <nil>
}

// A Snapshot is the whole grid at a seq, in whichever encoding is smaller.
func ExampleAppendSnapshot() {
	var g protocol.Bitset
	for i := uint32(0); i < 1000; i++ {
		g.Put(i, true) // a drawn line: runs compress well
	}
	frame := protocol.AppendSnapshot(nil, 1, 9, &g)
	s, err := protocol.DecodeSnapshot(frame)
	if err != nil {
		panic(err)
	}
	var back protocol.Bitset
	err = s.Bits(&back)
	fmt.Println(s.Encoding, s.Seq, s.Checked, back == g, err, len(frame) < 64)
	// Output: roaring 9 1000 true <nil> true
}

// A Replica is a grid at a seq: a Snapshot, then exactly the next Deltas. A
// missed Delta is reported, never applied.
func ExampleReplica() {
	var empty protocol.Bitset
	snap, _ := protocol.DecodeSnapshot(protocol.AppendSnapshot(nil, 1, 0, &empty))
	var r protocol.Replica
	_ = r.ApplySnapshot(snap)
	d1, _ := protocol.AppendDelta(nil, 1, []uint32{5})
	d3, _ := protocol.AppendDelta(nil, 3, []uint32{6})
	boxes, err := r.Apply(d1)
	fmt.Println(boxes, err, r.Seq, r.Grid.Get(5))
	_, err = r.Apply(d3)
	fmt.Println(errors.Is(err, protocol.ErrGap), r.Seq)
	// Output:
	// [5] <nil> 1 true
	// true 1
}

// The load generator follows seqs from a frame's first bytes only.
func ExampleReadHead() {
	frame, _ := protocol.AppendDelta(nil, 77, []uint32{1, 2, 3})
	h, err := protocol.ReadHead(frame[:protocol.DeltaHeaderSize])
	fmt.Println(h.Type, h.Seq, h.Count, err)
	// Output: Delta 77 3 <nil>
}

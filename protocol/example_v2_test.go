package protocol_test

import (
	"errors"
	"fmt"

	"checkgrid/protocol"
)

// A version-2 client subscribes to the boxes on its screen plus a margin.
func ExampleAppendViewport() {
	frame := protocol.AppendViewport(nil, protocol.Viewport{Area: protocol.Area{X: 120, Y: 40, W: 80, H: 50}})
	v, err := protocol.DecodeViewport(frame)
	fmt.Println(len(frame), v.Area, err)
	_, err = protocol.DecodeViewport(protocol.AppendViewport(nil, protocol.Viewport{Area: protocol.Area{X: 990, Y: 0, W: 20, H: 1}}))
	fmt.Println(err)
	// Output:
	// 9 {120 40 80 50} <nil>
	// protocol: field out of range: area x=990 y=0 w=20 h=1 is not inside the 1000x1000 grid
}

// The server sends an area's boxes at a seq; the client writes them into
// its grid and keeps the rest as last known.
func ExampleAppendAreaSnapshot() {
	var g protocol.Bitset
	g.Put(1002, true) // column 2, row 1
	g.Put(7, true)    // outside the area below
	area := protocol.Area{X: 0, Y: 1, W: 4, H: 2}
	frame, _, err := protocol.AppendAreaSnapshot(nil, 1, 42, area, &g, nil)
	if err != nil {
		panic(err)
	}
	s, err := protocol.DecodeAreaSnapshot(frame)
	fmt.Println(s.Encoding, s.Seq, s.Area, s.Checked, err)

	var client protocol.Bitset
	client.Put(9, true) // last known, outside: kept
	_, err = s.Apply(&client, nil)
	fmt.Println(client.Get(1002), client.Get(9), client.Get(7), err)
	// Output:
	// raw 42 {0 1 4 2} 1 <nil>
	// true true false <nil>
}

// An AreaDelta carries the seq of the previous area frame, so a client
// that missed one knows.
func ExampleAppendAreaDelta() {
	frame, err := protocol.AppendAreaDelta(nil, 50, 47, []uint32{1001, 1003})
	if err != nil {
		panic(err)
	}
	d, err := protocol.DecodeAreaDelta(frame)
	idx, _ := d.AppendIndexes(nil)
	fmt.Println(d.Seq, d.Prev, idx, err)
	// Output: 50 47 [1001 1003] <nil>
}

// Presence says how many players look at each region; one or two are
// "some".
func ExampleAppendPresence() {
	viewers := make([]uint32, 25*25) // 40-box cells
	viewers[protocol.CellOf(40, 500, 500)] = 2
	viewers[protocol.CellOf(40, 10, 10)] = 9
	frame, err := protocol.AppendPresence(nil, 40, viewers)
	if err != nil {
		panic(err)
	}
	p, err := protocol.DecodePresence(frame)
	fmt.Println(len(frame), p.Counts[protocol.CellOf(40, 500, 500)] == protocol.PresenceSome, p.Counts[0], err)
	// Output: 11 true 9 <nil>
}

// A version-2 Welcome carries the per-address limits and the viewport
// interval; a version-1 Welcome is still understood.
func ExampleDecodeWelcome() {
	w := protocol.Welcome{Version: protocol.Version2, Width: protocol.GridWidth, Height: protocol.GridHeight,
		Epoch: 7, MaxSetBoxes: 256, SetRate: 20, SetBurst: 300, MaxMessage: protocol.MaxClientMessage,
		AddrRate: 60, AddrBurst: 900, MaxConnsPerAddr: 32, ViewportInterval: 200}
	got, err := protocol.DecodeWelcome(protocol.AppendWelcome(nil, w))
	fmt.Println(got.Version, got.AddrBurst, got.ViewportInterval, err)
	w.Version = protocol.Version1
	v1 := protocol.AppendWelcome(nil, w)
	got, err = protocol.DecodeWelcome(v1)
	fmt.Println(len(v1), got.Version, got.AddrBurst, err)
	// Output:
	// 2 900 200 <nil>
	// 24 1 0 <nil>
}

// A Replica follows the frames of a version-2 connection too (an area is
// exact, the rest last known) and refuses one that does not follow.
func ExampleReplica_area() {
	var g protocol.Bitset
	area := protocol.Area{X: 0, Y: 0, W: 10, H: 10}
	snap, _, _ := protocol.AppendAreaSnapshot(nil, 1, 5, area, &g, nil)
	d1, _ := protocol.AppendAreaDelta(nil, 8, 5, []uint32{3})
	d3, _ := protocol.AppendAreaDelta(nil, 12, 9, []uint32{4}) // the one after 8 was lost

	r := new(protocol.Replica)
	for _, f := range [][]byte{snap, d1, d3} {
		flipped, err := r.Apply(f)
		fmt.Println(flipped, r.Seq, r.Known(3), r.Known(10), errors.Is(err, protocol.ErrGap))
	}
	// Output:
	// [] 5 true false false
	// [3] 8 true false false
	// [] 8 true false true
}

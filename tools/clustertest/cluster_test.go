package clustertest

import (
	"context"
	"testing"
	"time"

	"github.com/coder/websocket"

	"checkgrid/protocol"
	"checkgrid/server/peer"
)

// A player on node A sets boxes; a player on node B sees them, in order,
// as the same bytes the stream holds; every node's /api/snapshot converges
// to the stream. A bad frame on B closes only its sender with 4000.
func TestPlayersOnTwoNodesShareOneGrid(t *testing.T) {
	w := newWorld(t)
	a := w.node("a")
	b := w.node("b")
	w.sequencer(20 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	pa, err := peer.Dial(ctx, "ws://"+a.Addr+"/ws", peer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer pa.Conn.CloseNow()
	pb, err := peer.Dial(ctx, "ws://"+b.Addr+"/ws", peer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer pb.Conn.CloseNow()
	if pa.Epoch != pb.Epoch {
		t.Fatalf("nodes announce different histories: %d, %d", pa.Epoch, pb.Epoch)
	}
	var s seen
	pb.OnDelta = func(seq uint64, frame []byte, _ []uint32) { s.add(seq, frame) }
	go func() { // A's own frames are not checked here; keep its socket drained
		for {
			if _, err := pa.Next(ctx); err != nil {
				return
			}
		}
	}()
	want := protocol.Bitset{}
	for i := range 30 {
		ch := protocol.Change{Index: uint32(i*33331) % protocol.Boxes, Value: true}
		want.Put(ch.Index, true)
		if err := pa.Set(ctx, ch); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for pb.Grid != want {
		if _, err := pb.Next(ctx); err != nil {
			t.Fatalf("player on B: %v", err) // a gap is an error here
		}
	}
	// Bad input on B: the sender is closed with 4000, B's other player
	// and the grid are untouched.
	bad, err := peer.Dial(ctx, "ws://"+b.Addr+"/ws", peer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := bad.WriteRaw(ctx, []byte{byte(protocol.TypeSet), 0xff, 0xff, 1}); err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := bad.Next(ctx); err != nil {
			if websocket.CloseStatus(err) != websocket.StatusCode(protocol.CloseProtocol) {
				t.Fatalf("bad sender closed with %v, want 4000", err)
			}
			break
		}
	}
	if err := pa.Set(ctx, protocol.Change{Index: 5, Value: true}); err != nil {
		t.Fatal(err)
	}
	want.Put(5, true)
	for pb.Grid != want {
		if _, err := pb.Next(ctx); err != nil {
			t.Fatalf("player on B after the bad one: %v", err)
		}
	}
	stream := w.converge()
	_, frames := w.replay()
	s.check(t, frames)
	if stream.Grid != want {
		t.Fatal("the stream's grid is not what was set")
	}
}

package main

import (
	"context"
	"testing"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/peer"

	"github.com/coder/websocket"
)

func TestConnectionCapPerAddress(t *testing.T) {
	ts := startServer(t, "-max-conns-per-addr", "2", "-metrics-on-main")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	a, b := ts.dial(ctx), ts.dial(ctx)
	if _, err := peer.Dial(ctx, ts.WS, peer.Options{}); err == nil {
		t.Fatal("third connection from one address accepted with a cap of 2")
	}
	if got := ts.metric(`checkgrid_connections_refused_total{reason="address_cap"}`); got != 1 {
		t.Fatalf("address_cap refusals counted %v, want 1", got)
	}
	// A slot frees when a connection ends.
	a.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		p, err := peer.Dial(ctx, ts.WS, peer.Options{})
		if err == nil {
			p.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("slot not released after a close: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.Close()
}

func TestResyncRequestGetsSnapshot(t *testing.T) {
	ts := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p := ts.dial(ctx)
	seq := flip(t, ctx, p, 77)
	if err := p.RequestResync(ctx); err != nil {
		t.Fatal(err)
	}
	for p.Frames(protocol.TypeSnapshot) < 2 {
		if _, err := p.Next(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if p.Frames(protocol.TypeResync) != 1 || p.Seq != seq || !p.Grid.Get(77) {
		t.Fatalf("after resync: %d resyncs, seq %d (want %d)", p.Frames(protocol.TypeResync), p.Seq, seq)
	}
	// And it keeps following from there.
	if got := flip(t, ctx, p, 78); got != seq+1 {
		t.Fatalf("next delta at %d, want %d", got, seq+1)
	}
}

func TestAbusiveSenderIsClosed(t *testing.T) {
	ts := startServer(t, "-rate", "0.001", "-burst", "1", "-metrics-on-main")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	bot := ts.dial(ctx)
	bystander := ts.dial(ctx)
	go func() {
		for i := 0; ctx.Err() == nil; i++ {
			if bot.Set(ctx, protocol.Change{Index: uint32(i % protocol.Boxes), Value: true}) != nil {
				return
			}
		}
	}()
	var err error
	for err == nil {
		_, err = bot.Next(ctx)
	}
	if code := websocket.CloseStatus(err); code != websocket.StatusCode(protocol.CloseAbuse) {
		t.Fatalf("bot closed with %v (%v), want 4006 abuse", code, err)
	}
	if bot.Frames(protocol.TypeReject) == 0 {
		t.Fatal("bot was closed without being told why first (no Reject)")
	}
	// The bystander still plays.
	flip(t, ctx, bystander, 5)
}

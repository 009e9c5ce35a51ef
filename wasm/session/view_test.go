package session

import (
	"testing"
	"time"

	"checkgrid/protocol"
	"checkgrid/wasm/link"
)

func welcomeV2(interval uint16) []byte {
	return protocol.AppendWelcome(nil, protocol.Welcome{
		Version: protocol.Version2, Width: protocol.GridWidth, Height: protocol.GridHeight,
		Epoch: 7, MaxSetBoxes: 256, SetRate: 20, SetBurst: 300, MaxMessage: protocol.MaxClientMessage,
		ViewportInterval: interval,
	})
}

func areaSnapshot(t *testing.T, seq uint64, a protocol.Area, checked ...uint32) []byte {
	t.Helper()
	var g protocol.Bitset
	for _, i := range checked {
		g.Put(i, true)
	}
	f, _, err := protocol.AppendAreaSnapshot(nil, 7, seq, a, &g, nil)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func viewports(t *testing.T, frames [][]byte) []protocol.Area {
	t.Helper()
	var out []protocol.Area
	for _, f := range frames {
		if typ, _ := protocol.PeekType(f); typ == protocol.TypeViewport {
			v, err := protocol.DecodeViewport(f)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, v.Area)
		}
	}
	return out
}

// A version-2 session subscribes to the view plus a quarter on each side,
// throttled, asks again only when the view leaves the area, refuses to set
// boxes outside it, resyncs on a gap, and reads presence.
func TestSessionFollowsItsArea(t *testing.T) {
	p := newPipe()
	s := New(1, p)
	s.SetView(protocol.Area{X: 100, Y: 100, W: 64, H: 40}) // before the connection: remembered
	s.setLink(link.Connected, nil)
	handle(t, s, welcomeV2(200))
	handle(t, s, protocol.AppendSnapshot(nil, 7, 10, new(protocol.Bitset)))
	got := viewports(t, s.viewport(nil, 0))
	want := protocol.Area{X: 84, Y: 90, W: 96, H: 60}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("viewports %v, want [%v]", got, want)
	}
	// A small pan stays inside: nothing to ask.
	s.SetView(protocol.Area{X: 110, Y: 105, W: 64, H: 40})
	if got := viewports(t, s.viewport(nil, time.Second)); len(got) != 0 {
		t.Fatalf("pan inside the margin asked %v", got)
	}
	// Out of it: asked, but not before the interval.
	s.SetView(protocol.Area{X: 300, Y: 100, W: 64, H: 40})
	if got := viewports(t, s.viewport(nil, 100*time.Millisecond)); len(got) != 0 {
		t.Fatalf("asked within the interval: %v", got)
	}
	if got := viewports(t, s.viewport(nil, 250*time.Millisecond)); len(got) != 1 || got[0].X != 284 {
		t.Fatalf("after the interval %v", got)
	}
	a := protocol.Area{X: 284, Y: 90, W: 96, H: 60}
	inside, outside := uint32(100*protocol.GridWidth+300), uint32(5)
	handle(t, s, areaSnapshot(t, 12, a, inside))
	if !s.Known(inside) || s.Known(outside) || !s.Board().Displayed(inside) {
		t.Fatal("the area snapshot did not take")
	}
	if r := s.Toggle(outside, 0); r != Unknown {
		t.Fatalf("toggle outside the area: %v", r)
	}
	if r := s.Toggle(inside, 0); r != Accepted {
		t.Fatalf("toggle inside the area: %v", r)
	}
	d, _ := protocol.AppendAreaDelta(nil, 14, 12, []uint32{inside + 1})
	handle(t, s, d)
	d, _ = protocol.AppendAreaDelta(nil, 16, 15, []uint32{inside + 2}) // prev 15: 14 → 16 lost a frame
	handle(t, s, d)
	if s.Board().Synced() || s.Status().Gaps != 1 || s.Board().Displayed(inside+2) {
		t.Fatal("a gap was applied or not noticed")
	}
	out := s.outbox(nil)
	if len(out) == 0 {
		t.Fatal("no ResyncRequest after a gap")
	}
	if typ, _ := protocol.PeekType(out[0]); typ != protocol.TypeResyncRequest {
		t.Fatalf("first frame after a gap is %v", typ)
	}
	// Presence: this player and two others in its cell, three more beside.
	viewers := make([]uint32, 25*25)
	me := protocol.CellOf(40, 300+32, 100+20)
	viewers[me], viewers[me+1] = 3, 3
	viewers[0] = 1 // far away
	pf, _ := protocol.AppendPresence(nil, 40, viewers)
	handle(t, s, areaSnapshot(t, 16, a))
	handle(t, s, pf)
	if n, more := s.Near(); n != 5 || more {
		t.Fatalf("near %d (more %v), want 5 others", n, more)
	}
	// A new connection starts over on the whole grid and asks again.
	s.setLink(link.Connected, nil)
	handle(t, s, welcomeV2(200))
	if got := viewports(t, s.viewport(nil, 10*time.Second)); len(got) != 1 {
		t.Fatalf("after reconnecting: %v", got)
	}
}

// A version-1 server gets no Viewport and every box stays settable.
func TestSessionOnVersion1SendsNoViewport(t *testing.T) {
	s := started(t, "x...", 256, 20, 60)
	s.SetView(protocol.Area{X: 0, Y: 0, W: 10, H: 10})
	if got := viewports(t, s.viewport(nil, time.Hour)); len(got) != 0 {
		t.Fatalf("viewports to a version-1 server: %v", got)
	}
	if r := s.Toggle(999999, 0); r != Accepted {
		t.Fatalf("toggle on version 1: %v", r)
	}
}

func TestURLAsksForTheVersion(t *testing.T) {
	if got := URL("ws://h/ws"); got != "ws://h/ws?v=2" {
		t.Fatal(got)
	}
	if got := URL("ws://h/ws?x=1"); got != "ws://h/ws?x=1&v=2" {
		t.Fatal(got)
	}
}

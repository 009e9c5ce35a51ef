package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/wsframe"
)

// rawClient is a WebSocket client written by hand, so a test can send what
// no library would: floods of control frames, frames right behind the
// upgrade request.
type rawClient struct {
	c  net.Conn
	br *bufio.Reader
}

// clientFrame is a masked client frame (RFC 6455 §5.3).
func clientFrame(opcode byte, payload []byte) []byte {
	return wsframe.AppendMasked(nil, opcode, [4]byte{9, 8, 7, 6}, payload)
}

// dialRaw upgrades a raw TCP connection; extra is sent in the same write as
// the upgrade request.
func dialRaw(t *testing.T, ts *testServer, extra []byte) *rawClient {
	t.Helper()
	c := dialTCP(t, ts)
	host := c.RemoteAddr().String()
	req := "GET /ws HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := c.Write(append([]byte(req), extra...)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	return &rawClient{c: c, br: br}
}

// next reads one server frame: its opcode and payload.
func (r *rawClient) next(t *testing.T) (byte, []byte) {
	t.Helper()
	_ = r.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	h, err := wsframe.ReadHeader(r.br)
	if err != nil || h.Len > protocol.MaxServerMessage {
		t.Fatalf("read frame: %+v, %v", h, err)
	}
	p := make([]byte, h.Len)
	if _, err := io.ReadFull(r.br, p); err != nil {
		t.Fatalf("read payload: %v", err)
	}
	return h.Opcode(), p
}

// closeCode reads frames until the server's close frame and returns its
// code.
func (r *rawClient) closeCode(t *testing.T) int {
	t.Helper()
	for {
		op, p := r.next(t)
		if op == 8 {
			if len(p) < 2 {
				return 1005
			}
			return int(binary.BigEndian.Uint16(p))
		}
	}
}

// Every kind of frame a client can send costs from one budget: floods of
// pongs, pings or Viewports close that connection with 4006, and a player
// beside it keeps playing.
func TestControlAndViewportFloodsAreClosed(t *testing.T) {
	ts := startServer(t, "-msg-rate", "50", "-msg-burst", "100", "-max-conns-per-addr", "100", "-metrics-on-main")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	good := ts.dial(ctx)
	converge(t, ctx, good, 0)
	vp := protocol.AppendViewport(nil, protocol.Viewport{Area: protocol.Area{X: 0, Y: 0, W: 10, H: 10}})
	for _, flood := range []struct {
		name  string
		frame []byte
	}{
		{"pong", clientFrame(0xa, []byte("x"))},
		{"ping", clientFrame(0x9, []byte("y"))},
		{"viewport", clientFrame(0x2, vp)},
	} {
		r := dialRaw(t, ts, nil)
		var burst []byte
		for range 300 {
			burst = append(burst, flood.frame...)
		}
		go func() { _, _ = r.c.Write(burst) }()
		if code := r.closeCode(t); code != int(protocol.CloseAbuse) {
			t.Fatalf("%s flood: closed with %d, want %d", flood.name, code, protocol.CloseAbuse)
		}
		r.c.Close()
	}
	if n := ts.metric(`checkgrid_bad_frames_total{error="flood"}`); n != 3 {
		t.Fatalf("flood closes counted: %v, want 3", n)
	}
	// The good player still plays.
	if err := good.Set(ctx, protocol.Change{Index: 4242, Value: true}); err != nil {
		t.Fatal(err)
	}
	for !good.Grid.Get(4242) {
		if _, err := good.Next(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// A ping is answered with a pong carrying its payload, and a Set sent in
// the same write as the upgrade request is applied, not dropped.
func TestPingAnsweredAndSetBehindUpgradeApplied(t *testing.T) {
	ts := startServer(t)
	set, _ := protocol.AppendSet(nil, []protocol.Change{{Index: 99, Value: true}})
	r := dialRaw(t, ts, append(clientFrame(0x2, set), clientFrame(0x9, []byte("hello"))...))
	sawPong, sawBox := false, false
	rep := new(protocol.Replica)
	follow := protocol.NewFollower(rep) // as the client follows
	for !sawPong || !sawBox {
		op, p := r.next(t)
		switch op {
		case 0xa:
			if string(p) != "hello" {
				t.Fatalf("pong payload %q", p)
			}
			sawPong = true
		case 0x2:
			if _, err := follow.Handle(p); err != nil {
				t.Fatal(err)
			}
			sawBox = rep.Synced() && rep.Grid.Get(99)
		}
	}
}

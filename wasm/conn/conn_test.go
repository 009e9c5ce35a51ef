//go:build !js

package conn

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"checkgrid/protocol"
	"checkgrid/wasm/link"
)

// next returns the next event, failing after a while.
func next(t *testing.T, c *Conn) link.Event {
	t.Helper()
	select {
	case e := <-c.Events():
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no event")
		return link.Event{}
	}
}

func wantState(t *testing.T, c *Conn, s link.State) link.Event {
	t.Helper()
	e := next(t, c)
	if e.Frame != nil || e.State != s {
		t.Fatalf("event %+v (frame %q), want state %v", e, e.Frame, s)
	}
	return e
}

func wantFrame(t *testing.T, c *Conn, f string) {
	t.Helper()
	if e := next(t, c); string(e.Frame) != f {
		t.Fatalf("event %+v, want frame %q", e, f)
	}
}

// TestReconnectsUntilToldNotTo runs a real WebSocket server whose
// connections each echo one frame back, then close with the next code in
// line.
func TestReconnectsUntilToldNotTo(t *testing.T) {
	codes := make(chan protocol.CloseCode, 4)
	for _, c := range []protocol.CloseCode{protocol.CloseGoingAway, protocol.CloseInternal, protocol.CloseVersion} {
		codes <- c
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		ctx := r.Context()
		_, b, err := ws.Read(ctx)
		if err != nil {
			return
		}
		if err := ws.Write(ctx, websocket.MessageBinary, append([]byte("echo "), b...)); err != nil {
			return
		}
		ws.Close(websocket.StatusCode(<-codes), "bye")
	}))
	defer srv.Close()

	c := Open("ws" + strings.TrimPrefix(srv.URL, "http"))
	defer c.Close()
	wantState(t, c, link.Connecting)
	for i, want := range []link.State{link.Reconnecting, link.Reconnecting, link.Failed} {
		wantState(t, c, link.Connected)
		if !c.Send([]byte{byte('a' + i)}) {
			t.Fatal("send queue full")
		}
		wantFrame(t, c, "echo "+string(rune('a'+i)))
		e := wantState(t, c, want)
		if e.Err == nil {
			t.Fatalf("%v without a reason", want)
		}
	}
}

func TestDropReconnects(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		if err := ws.Write(r.Context(), websocket.MessageBinary, []byte("hello")); err != nil {
			return
		}
		ws.Read(r.Context()) // until the client goes
	}))
	defer srv.Close()

	c := Open("ws" + strings.TrimPrefix(srv.URL, "http"))
	defer c.Close()
	wantState(t, c, link.Connecting)
	wantState(t, c, link.Connected)
	wantFrame(t, c, "hello")
	c.Drop()
	if e := wantState(t, c, link.Reconnecting); e.Err != ErrDropped {
		t.Fatalf("reason %v, want ErrDropped", e.Err)
	}
	wantState(t, c, link.Connected)
	wantFrame(t, c, "hello")
}

func TestCloseStopsDialling(t *testing.T) {
	c := Open("ws://127.0.0.1:1/ws") // nothing listens on port 1
	wantState(t, c, link.Connecting)
	wantState(t, c, link.Reconnecting)
	done := make(chan struct{})
	go func() { c.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return")
	}
}

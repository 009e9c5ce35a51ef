package wsconn

import (
	"bufio"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"checkgrid/server/hub"
)

// controlEvent is a ping or pong the server's Conn reported.
type controlEvent struct {
	kind    hub.Control
	payload string
}

// frame is a masked client frame with the given first byte (FIN, opcode).
func frame(first byte, payload string) []byte {
	b := maskedFrame(first&0x0f, []byte(payload))
	b[0] = first
	return b
}

// A waiting reader (the hub's loop over WaitReadable) gets every message
// and every control frame, returns ErrIdle after control frames alone and
// never in the middle of a fragmented message, and CloseNow ends its wait.
func TestWaitingReaderAroundControlFrames(t *testing.T) {
	ctl, idles, msgs, errs, conns := make(chan controlEvent, 8), make(chan struct{}, 8), make(chan string, 8), make(chan error, 1), make(chan *Conn, 1)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Accept(w, r, Options{})
		if err != nil {
			errs <- err
			return
		}
		c.SetControl(func(k hub.Control, p []byte) { ctl <- controlEvent{k, string(p)} })
		conns <- c
		errs <- readAll(c, true, func() { idles <- struct{}{} }, func(m []byte) { msgs <- string(m) })
	}))
	defer ts.Close()
	nc, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := nc.Write([]byte(upgradeRequest(ts.Listener.Addr().String()))); err != nil {
		t.Fatal(err)
	}
	if resp, err := http.ReadResponse(bufio.NewReader(nc), nil); err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	c := <-conns
	send := func(b ...[]byte) {
		t.Helper()
		var all []byte
		for _, f := range b {
			all = append(all, f...)
		}
		if _, err := nc.Write(all); err != nil {
			t.Fatal(err)
		}
	}
	wait := func(what string, ch <-chan struct{}) {
		t.Helper()
		select {
		case <-ch:
		case err := <-errs:
			t.Fatalf("waiting for %s: the reader ended: %v", what, err)
		case <-time.After(5 * time.Second):
			t.Fatalf("no %s within 5 s", what)
		}
	}
	wantControl := func(want controlEvent) {
		t.Helper()
		select {
		case got := <-ctl:
			if got != want {
				t.Fatalf("control frame %+v, want %+v", got, want)
			}
		case err := <-errs:
			t.Fatalf("waiting for %+v: the reader ended: %v", want, err)
		case <-time.After(5 * time.Second):
			t.Fatalf("control frame %+v not reported within 5 s", want)
		}
	}
	wantMessage := func(want string) {
		t.Helper()
		select {
		case got := <-msgs:
			if got != want {
				t.Fatalf("message %q, want %q", got, want)
			}
		case err := <-errs:
			t.Fatalf("waiting for %q: the reader ended: %v", want, err)
		case <-time.After(5 * time.Second):
			t.Fatalf("message %q not read within 5 s", want)
		}
	}

	// A pong alone: reported, then the reader is idle again.
	send(frame(0x8a, "pong-1"))
	wantControl(controlEvent{hub.ControlPong, "pong-1"})
	wait("ErrIdle after a lone pong", idles)

	// A ping and a message in one packet: both, in order.
	send(frame(0x89, "ping-1"), frame(0x82, "set-1"))
	wantControl(controlEvent{hub.ControlPing, "ping-1"})
	wantMessage("set-1")

	// A fragmented message with a ping between its frames, the last frame
	// sent only once the ping was reported: the reader must wait inside the
	// message, not go idle.
	send(frame(0x02, "frag-"), frame(0x89, "ping-2"))
	wantControl(controlEvent{hub.ControlPing, "ping-2"})
	send(frame(0x80, "ment"))
	wantMessage("frag-ment")

	// Idle again after a pong; CloseNow ends the wait.
	send(frame(0x8a, "pong-2"))
	wantControl(controlEvent{hub.ControlPong, "pong-2"})
	wait("ErrIdle after the second pong", idles)
	if err := c.CloseNow(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errs:
		if err == nil {
			t.Fatal("the reader ended without an error after CloseNow")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("CloseNow did not end the wait")
	}
}

// A TLS connection cannot wait at the socket (crypto/tls may hold a record
// no peek sees): WaitReadable says so, and Read blocks as before.
func TestTLSReaderDoesNotWait(t *testing.T) {
	addr, cfg, conns := tlsServer(t)
	nc, err := tls.Dial("tcp", addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := nc.Write([]byte(upgradeRequest(addr))); err != nil {
		t.Fatal(err)
	}
	c := <-conns
	if c.WaitReadable() {
		t.Fatal("WaitReadable on a TLS connection: true, want false")
	}
	_ = c.CloseNow()
}

package wsconn

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"checkgrid/server/certs/testcert"
	"checkgrid/server/hub"
	"checkgrid/server/wsframe"
)

// tlsServer is server over TLSListener, with a client that trusts it.
func tlsServer(t *testing.T) (addr string, client *tls.Config, conns chan *Conn) {
	t.Helper()
	return tlsServerWith(t, Options{})
}

// tlsServerWith is tlsServer accepting with opt.
func tlsServerWith(t *testing.T, opt Options) (addr string, client *tls.Config, conns chan *Conn) {
	t.Helper()
	ca, err := testcert.NewCA("wsconn test CA")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Leaf("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(leaf.CertPEM, leaf.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	conns = make(chan *Conn, 1)
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Accept(w, r, opt)
		if err != nil {
			t.Error(err)
			return
		}
		conns <- c
	}))
	ts.Listener = TLSListener(ts.Listener, &tls.Config{Certificates: []tls.Certificate{cert}})
	ts.Start()
	t.Cleanup(ts.Close)
	return ts.Listener.Addr().String(), &tls.Config{RootCAs: ca.Pool(), ServerName: "127.0.0.1"}, conns
}

// A TLS player gets the same frames as a plain one, sealed, without a
// goroutine per frame: TryWrite writes whole frames while the socket takes
// them, reports a frame one byte short once its ciphertext has to wait,
// takes nothing more until then, and WriteAll of the rest (what the hub's
// flusher does) delivers every byte in order.
func TestTLSFramesAreWrittenWithoutBlocking(t *testing.T) {
	addr, cfg, conns := tlsServer(t)
	_, br := dial(t, addr, cfg)
	c := <-conns
	if c.sock == nil {
		t.Fatal("a connection from TLSListener is not written through its cipher socket")
	}

	// The hub's side, as send.go does it: TryWrite while it takes whole
	// frames; the first short frame's rest goes through WriteAll.
	var want bytes.Buffer
	frame := func(i int) []byte {
		p := bytes.Repeat([]byte{byte(i)}, 16<<10)
		return wsframe.Wrap(p)
	}
	first := frame(0)
	if n, err := c.TryWrite(first); err != nil || n != len(first) {
		t.Fatalf("TryWrite to an empty socket: %d of %d, %v", n, len(first), err)
	}
	want.Write(first)
	var short []byte
	for i := 1; i < 4096 && short == nil; i++ {
		f := frame(i)
		n, err := c.TryWrite(f)
		if err != nil {
			t.Fatal(err)
		}
		switch n {
		case len(f):
		case len(f) - 1:
			short = f[n:]
		default:
			t.Fatalf("TryWrite of frame %d took %d of %d: want all or all but one byte", i, n, len(f))
		}
		want.Write(f)
	}
	if short == nil {
		t.Fatal("the socket never filled: no frame was reported short")
	}
	if n, err := c.TryWrite(frame(255)); err != nil || n != 0 {
		t.Fatalf("TryWrite while ciphertext waits: %d, %v; want 0, nil", n, err)
	}

	done := make(chan error, 1)
	go func() { done <- c.WriteAll(short) }()
	got := make([]byte, want.Len())
	if _, err := io.ReadFull(br, got); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatal("the frames arrived changed")
	}
	// Drained, the socket takes whole frames again.
	last := frame(7)
	if n, err := c.TryWrite(last); err != nil || n != len(last) {
		t.Fatalf("TryWrite after the flush: %d of %d, %v", n, len(last), err)
	}
	if _, err := io.ReadFull(br, got[:len(last)]); err != nil || !bytes.Equal(got[:len(last)], last) {
		t.Fatalf("frame after the flush: %v", err)
	}
}

// heldConn holds what crypto/tls writes, once hold is set, until flush,
// so that several TLS records reach the server in one write of the
// socket. Used by one goroutine.
type heldConn struct {
	net.Conn
	hold bool
	held []byte
}

func (h *heldConn) Write(b []byte) (int, error) {
	if !h.hold {
		return h.Conn.Write(b)
	}
	h.held = append(h.held, b...)
	return len(b), nil
}

func (h *heldConn) flush() error {
	_, err := h.Conn.Write(h.held)
	h.held = h.held[:0]
	return err
}

// A TLS connection parks too, and its Poller reads it through crypto/tls:
// a ping and messages in one TLS record, several records in one write of
// the socket (crypto/tls then holds whole records the socket no longer
// shows), a message split over two writes; and a text message resumes the
// reader, which gets hub.ErrText from the library as before.
func TestTLSParkedReader(t *testing.T) {
	p, err := NewPoller()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	addr, cfg, conns := tlsServerWith(t, Options{Poller: p})
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	held := &heldConn{Conn: nc}
	tc := tls.Client(held, cfg)
	t.Cleanup(func() { _ = tc.Close() })
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	held.hold = true
	up := "GET / HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := tc.Write([]byte(up)); err != nil {
		t.Fatal(err)
	}
	if err := held.flush(); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(tc)
	if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	c := <-conns
	ctl, msgs, parked, errs := make(chan controlEvent, 8), make(chan message, 16), make(chan struct{}, 8), make(chan error, 1)
	c.SetControl(func(k hub.Control, p []byte) { ctl <- controlEvent{k, string(p)} })
	go func() {
		errs <- readAll(c, modeParked, nil, func() { parked <- struct{}{} }, func(m []byte, polled bool) { msgs <- message{string(m), polled} })
	}()
	send := func(frames ...[]byte) {
		t.Helper()
		for _, f := range frames { // one TLS record each
			if _, err := tc.Write(f); err != nil {
				t.Fatal(err)
			}
		}
		if err := held.flush(); err != nil {
			t.Fatal(err)
		}
	}
	want := func(m message) {
		t.Helper()
		if got := next(t, fmt.Sprintf("message %+v", m), msgs, errs); got != m {
			t.Fatalf("message %+v, want %+v", got, m)
		}
	}

	// The first read parks the connection only once crypto/tls is found
	// empty: what comes next is the Poller's.
	send(append(frame(0x89, "ping-1"), frame(0x82, "set-1")...))
	if got := next(t, "the ping", ctl, errs); got != (controlEvent{hub.ControlPing, "ping-1"}) {
		t.Fatalf("control %+v", got)
	}
	first := next(t, "set-1", msgs, errs)
	if first.payload != "set-1" {
		t.Fatalf("message %+v, want set-1", first)
	}
	// The connection parks once, after a read that found crypto/tls empty:
	// before set-1 came (set-1 was the Poller's) or after it (it was read
	// on the goroutine that had not parked yet). It stays parked from then
	// on: nothing below resumes it before the text message.
	next(t, "the connection parked", parked, errs)
	// Three records in one write of the socket: all read, by the Poller.
	send(frame(0x82, "set-2"), frame(0x82, "set-3"), frame(0x82, "set-4"))
	want(message{"set-2", true})
	want(message{"set-3", true})
	want(message{"set-4", true})
	// A message in two records, written apart.
	whole := frame(0x82, "set-in-two-records")
	send(whole[:7])
	send(whole[7:])
	want(message{"set-in-two-records", true})
	// A text message: for the library, on a reader goroutine.
	send(frame(0x81, "hello"))
	if err := next(t, "the text message's error", errs, nil); !errors.Is(err, hub.ErrText) {
		t.Fatalf("text message: %v, want hub.ErrText", err)
	}
}

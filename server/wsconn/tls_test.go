package wsconn

import (
	"bytes"
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"checkgrid/server/certs/testcert"
	"checkgrid/server/wsframe"
)

// tlsServer is server over TLSListener, with a client that trusts it.
func tlsServer(t *testing.T) (addr string, client *tls.Config, conns chan *Conn) {
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
		c, err := Accept(w, r, Options{})
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

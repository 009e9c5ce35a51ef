package wsconn

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/hub"
	"checkgrid/server/wsframe"
)

// maskedFrame is a client frame (clients must mask, RFC 6455 §5.3).
func maskedFrame(opcode byte, payload []byte) []byte {
	return wsframe.AppendMasked(nil, opcode, [4]byte{1, 2, 3, 4}, payload)
}

// readerMode is one way the hub reads a connection. Every test of the
// read path runs in each.
type readerMode uint8

const (
	modeBlocking     readerMode = iota // blocking in Read
	modeWaiting                        // waiting in WaitReadable, reading until ErrIdle (idle.go)
	modeParked                         // parked at every wait, read by the Poller meanwhile (poller.go)
	modeOwnedWaiting                   // waiting as modeWaiting, on a socket out of Go's poller (owned.go)
)

func (m readerMode) String() string {
	switch m {
	case modeBlocking:
		return "blocking"
	case modeWaiting:
		return "waiting"
	case modeParked:
		return "parked"
	case modeOwnedWaiting:
		return "owned-waiting"
	}
	return fmt.Sprintf("readerMode(%d)", uint8(m))
}

var readerModes = []readerMode{modeBlocking, modeWaiting, modeParked, modeOwnedWaiting}

// options are the Accept options of a test server reading in mode: a
// Poller of the test's own for modeParked and modeOwnedWaiting (its
// sockets are out of Go's poller).
func options(tb testing.TB, mode readerMode) Options {
	if mode != modeParked && mode != modeOwnedWaiting {
		return Options{}
	}
	p, err := NewPoller()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = p.Close() })
	return Options{Poller: p}
}

// server accepts one connection and hands every message it reads (or the
// read's error) to the test, reading as the hub does in the given mode.
func server(t *testing.T, mode readerMode) (*httptest.Server, chan []byte, chan error, chan *Conn) {
	msgs, errs, conns := make(chan []byte, 16), make(chan error, 1), make(chan *Conn, 1)
	opt := options(t, mode)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Accept(w, r, opt)
		if err != nil {
			errs <- err
			return
		}
		conns <- c
		err = readAll(c, mode, nil, nil, func(m []byte, _ bool) { msgs <- append([]byte(nil), m...) })
		errs <- err
	}))
	t.Cleanup(ts.Close)
	return ts, msgs, errs, conns
}

// readAll is the hub's reader (hub.reader) over c in mode until a read
// fails, and returns the read's error. Waiting, it waits in WaitReadable
// before each read and reads again after ErrIdle, calling idled (if not
// nil) each time. Parked, it also parks c before each wait, calling parked
// (if not nil) each time it has: msg then runs on the Poller's goroutine
// for the messages the poller reads (polled true), and a reader goroutine
// reads again from each resume.
func readAll(c *Conn, mode readerMode, idled, parked func(), msg func(m []byte, polled bool)) error {
	ended := make(chan error, 1)
	deliver := func(m []byte) bool { msg(m, true); return true }
	var read func(fresh bool)
	read = func(fresh bool) {
		for {
			if mode == modeParked && !fresh && c.Park(deliver, func() { go read(true) }) {
				if parked != nil {
					parked()
				}
				return
			}
			fresh = false
			if mode != modeBlocking && !c.WaitReadable() {
				ended <- errors.New("WaitReadable: false on a plain socket")
				return
			}
			m, err := c.Read(context.Background())
			if errors.Is(err, hub.ErrIdle) {
				if mode == modeBlocking {
					ended <- errors.New("ErrIdle from a reader that never waited")
					return
				}
				if idled != nil {
					idled()
				}
				continue
			}
			if err != nil {
				ended <- err
				return
			}
			msg(m, false)
		}
	}
	read(false)
	return <-ended
}

// within bounds every wait for the server's side of a test connection.
const within = 5 * time.Second

// dial connects to addr (over TLS if cfg is not nil; closed when the test
// ends), sends the upgrade request followed by extra (frames a client may
// send in the same packet) and reads the 101 response. What the server
// sends next is read through the returned reader.
func dial(tb testing.TB, addr string, cfg *tls.Config, extra ...[]byte) (net.Conn, *bufio.Reader) {
	tb.Helper()
	var nc net.Conn
	var err error
	if cfg != nil {
		nc, err = tls.Dial("tcp", addr, cfg)
	} else {
		nc, err = net.Dial("tcp", addr)
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = nc.Close() })
	packet := []byte("GET / HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	for _, b := range extra {
		packet = append(packet, b...)
	}
	if _, err := nc.Write(packet); err != nil {
		tb.Fatal(err)
	}
	br := bufio.NewReader(nc)
	if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		tb.Fatalf("upgrade: %v %v", resp, err)
	}
	return nc, br
}

// next returns the next value on ch. It fails the test if errs (the
// server's reader ending) comes first, or nothing comes within the bound.
func next[T any](tb testing.TB, what string, ch <-chan T, errs <-chan error) T {
	tb.Helper()
	var v T
	select {
	case v = <-ch:
	case err := <-errs:
		tb.Fatalf("waiting for %s: the reader ended: %v", what, err)
	case <-time.After(within):
		tb.Fatalf("no %s within %v", what, within)
	}
	return v
}

// A client may send its first message in the same packet as the upgrade
// request; those bytes sit in net/http's buffer at hijack time and must be
// read first, not dropped.
func TestBytesBehindTheUpgradeAreRead(t *testing.T) {
	for _, mode := range readerModes {
		t.Run(mode.String(), func(t *testing.T) { testBytesBehindTheUpgrade(t, mode) })
	}
}

func testBytesBehindTheUpgrade(t *testing.T, mode readerMode) {
	ts, msgs, errs, _ := server(t, mode)
	set, _ := protocol.AppendSet(nil, []protocol.Change{{Index: 77, Value: true}})
	second := []byte{0x11, 0, 0, 0, 0, 0, 0, 0, 0}
	nc, _ := dial(t, ts.Listener.Addr().String(), nil, maskedFrame(2, set), maskedFrame(2, second)[:3])
	// The rest of the second frame, split across writes.
	if _, err := nc.Write(maskedFrame(2, second)[3:]); err != nil {
		t.Fatal(err)
	}
	for i, want := range [][]byte{set, second} {
		if got := next(t, fmt.Sprintf("message %d", i), msgs, errs); string(got) != string(want) {
			t.Fatalf("message %d: %x, want %x", i, got, want)
		}
	}
}

// Text messages and client close codes come out as the hub's port says.
func TestReadErrorsFollowThePort(t *testing.T) {
	for _, mode := range readerModes {
		t.Run(mode.String(), func(t *testing.T) { testReadErrors(t, mode) })
	}
}

func testReadErrors(t *testing.T, mode readerMode) {
	ts, _, errs, conns := server(t, mode)
	nc, br := dial(t, ts.Listener.Addr().String(), nil)
	c := <-conns
	// A pre-encoded server frame arrives byte for byte.
	wire := wsframe.Wrap([]byte{0x06, 0x02})
	if n, err := c.TryWrite(wire); err != nil || n != len(wire) {
		t.Fatalf("TryWrite to an empty socket: %d of %d, %v", n, len(wire), err)
	}
	got := make([]byte, len(wire))
	if _, err := io.ReadFull(br, got); err != nil || string(got) != string(wire) {
		t.Fatalf("server frame on the wire: %x %v", got, err)
	}
	if _, err := nc.Write(maskedFrame(1, []byte("hello"))); err != nil {
		t.Fatal(err)
	}
	if err := next(t, "error for a text message", errs, nil); !errors.Is(err, hub.ErrText) {
		t.Fatalf("text message: %v, want hub.ErrText", err)
	}

	// A second connection closes with 3000.
	ts2, _, errs2, _ := server(t, mode)
	dial(t, ts2.Listener.Addr().String(), nil, maskedFrame(8, []byte{0x0b, 0xb8}))
	var pc hub.PeerClose
	if err := next(t, "error for a close frame", errs2, nil); !errors.As(err, &pc) || pc.Code != 3000 {
		t.Fatalf("peer close: %v, want PeerClose 3000", err)
	}
}

// Messages of every size around the message buffer's edges are read
// whole and in order, big ones in several reads of the socket, and a
// short one after a long one is not mixed with its tail.
func TestMessagesOfEverySizeAreRead(t *testing.T) {
	for _, mode := range readerModes {
		t.Run(mode.String(), func(t *testing.T) {
			ts, msgs, errs, _ := server(t, mode)
			nc, _ := dial(t, ts.Listener.Addr().String(), nil)
			for _, n := range []int{1, firstReadBuf - 1, firstReadBuf, firstReadBuf + 1, idleReadBuf, idleReadBuf + 1, 3000, 2, hijackReadBuf + 7, 1} {
				want := make([]byte, n)
				for i := range want {
					want[i] = byte(n + i)
				}
				if _, err := nc.Write(maskedFrame(2, want)); err != nil {
					t.Fatal(err)
				}
				if got := next(t, fmt.Sprintf("message of %d bytes", n), msgs, errs); string(got) != string(want) {
					t.Fatalf("message of %d bytes: got %d bytes, or other bytes", n, len(got))
				}
			}
		})
	}
}

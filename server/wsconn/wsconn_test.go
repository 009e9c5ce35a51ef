package wsconn

import (
	"bufio"
	"context"
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

// readerModes are the two ways the hub reads a connection: blocking in
// Read, or waiting in WaitReadable and reading until ErrIdle (idle.go).
// Every test of the read path runs in both.
var readerModes = []struct {
	name string
	idle bool
}{{"blocking", false}, {"waiting", true}}

// server accepts one connection and hands every message it reads (or the
// read's error) to the test, reading as the hub does in the given mode.
func server(t *testing.T, idle bool) (*httptest.Server, chan []byte, chan error, chan *Conn) {
	msgs, errs, conns := make(chan []byte, 16), make(chan error, 1), make(chan *Conn, 1)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Accept(w, r, Options{})
		if err != nil {
			errs <- err
			return
		}
		conns <- c
		err = readAll(c, idle, nil, func(m []byte) { msgs <- append([]byte(nil), m...) })
		errs <- err
	}))
	t.Cleanup(ts.Close)
	return ts, msgs, errs, conns
}

// readAll is the hub's reader loop (hub.read) over c until a read fails:
// with idle, it waits in WaitReadable before each read and reads again
// after ErrIdle, calling idled (if not nil) each time.
func readAll(c *Conn, idle bool, idled func(), msg func([]byte)) error {
	for {
		if idle && !c.WaitReadable() {
			return errors.New("WaitReadable: false on a plain socket")
		}
		m, err := c.Read(context.Background())
		if errors.Is(err, hub.ErrIdle) {
			if !idle {
				return errors.New("ErrIdle from a reader that never waited")
			}
			if idled != nil {
				idled()
			}
			continue
		}
		if err != nil {
			return err
		}
		msg(m)
	}
}

func upgradeRequest(host string) string {
	return "GET / HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
}

// A client may send its first message in the same packet as the upgrade
// request; those bytes sit in net/http's buffer at hijack time and must be
// read first, not dropped.
func TestBytesBehindTheUpgradeAreRead(t *testing.T) {
	for _, mode := range readerModes {
		t.Run(mode.name, func(t *testing.T) { testBytesBehindTheUpgrade(t, mode.idle) })
	}
}

func testBytesBehindTheUpgrade(t *testing.T, idle bool) {
	ts, msgs, errs, _ := server(t, idle)
	nc, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	set, _ := protocol.AppendSet(nil, []protocol.Change{{Index: 77, Value: true}})
	second := []byte{0x11, 0, 0, 0, 0, 0, 0, 0, 0}
	packet := upgradeRequest(ts.Listener.Addr().String()) + string(maskedFrame(2, set)) + string(maskedFrame(2, second)[:3])
	if _, err := nc.Write([]byte(packet)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	// The rest of the second frame, split across writes.
	if _, err := nc.Write(maskedFrame(2, second)[3:]); err != nil {
		t.Fatal(err)
	}
	for i, want := range [][]byte{set, second} {
		select {
		case got := <-msgs:
			if string(got) != string(want) {
				t.Fatalf("message %d: %x, want %x", i, got, want)
			}
		case err := <-errs:
			t.Fatalf("message %d: read failed: %v", i, err)
		case <-time.After(5 * time.Second):
			t.Fatalf("message %d never arrived", i)
		}
	}
}

// Text messages and client close codes come out as the hub's port says.
func TestReadErrorsFollowThePort(t *testing.T) {
	for _, mode := range readerModes {
		t.Run(mode.name, func(t *testing.T) { testReadErrors(t, mode.idle) })
	}
}

func testReadErrors(t *testing.T, idle bool) {
	ts, _, errs, conns := server(t, idle)
	nc, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := nc.Write([]byte(upgradeRequest(ts.Listener.Addr().String()))); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(nc)
	if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != 101 {
		t.Fatalf("upgrade: %v", err)
	}
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
	select {
	case err := <-errs:
		if !errors.Is(err, hub.ErrText) {
			t.Fatalf("text message: %v, want hub.ErrText", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no error for a text message")
	}

	// A second connection closes with 3000.
	ts2, _, errs2, _ := server(t, idle)
	nc2, err := net.Dial("tcp", ts2.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc2.Close()
	closeFrame := maskedFrame(8, []byte{0x0b, 0xb8}) // 3000
	if _, err := fmt.Fprint(nc2, upgradeRequest(ts2.Listener.Addr().String())+string(closeFrame)); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errs2:
		var pc hub.PeerClose
		if !errors.As(err, &pc) || pc.Code != 3000 {
			t.Fatalf("peer close: %v, want PeerClose 3000", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no error for a close frame")
	}
}

// Messages of every size around the message buffer's edges are read
// whole and in order, big ones in several reads of the socket, and a
// short one after a long one is not mixed with its tail.
func TestMessagesOfEverySizeAreRead(t *testing.T) {
	for _, mode := range readerModes {
		t.Run(mode.name, func(t *testing.T) {
			ts, msgs, errs, _ := server(t, mode.idle)
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
			for _, n := range []int{1, firstReadBuf - 1, firstReadBuf, firstReadBuf + 1, idleReadBuf, idleReadBuf + 1, 3000, 2, hijackReadBuf + 7, 1} {
				want := make([]byte, n)
				for i := range want {
					want[i] = byte(n + i)
				}
				if _, err := nc.Write(maskedFrame(2, want)); err != nil {
					t.Fatal(err)
				}
				select {
				case got := <-msgs:
					if string(got) != string(want) {
						t.Fatalf("message of %d bytes: got %d bytes, or other bytes", n, len(got))
					}
				case err := <-errs:
					t.Fatalf("message of %d bytes: %v", n, err)
				case <-time.After(5 * time.Second):
					t.Fatalf("message of %d bytes never arrived", n)
				}
			}
		})
	}
}

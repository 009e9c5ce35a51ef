package wsconn

import (
	"bytes"
	"net"
	"syscall"
	"testing"

	"checkgrid/protocol"
	"checkgrid/server/hub"
)

// parkedSocket is the server's end of a real loopback TCP connection as a
// parked readConn, read by the test itself (readParked, as the Poller's
// goroutine does), with what it delivers and reports.
type parkedSocket struct {
	r         *readConn
	client    net.Conn
	delivered []string
	reported  []controlEvent
	refuse    bool // deliver says no more
}

// loopbackPair is a TCP connection on loopback: the client's end and
// the server's, both closed when the test ends.
func loopbackPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err = ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close(); _ = server.Close() })
	return client, server
}

func newParkedSocket(t *testing.T) *parkedSocket {
	t.Helper()
	client, server := loopbackPair(t)
	rc, err := server.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	s := &parkedSocket{client: client}
	s.r = &readConn{Conn: server, rc: rc}
	s.r.fdRead.init()
	s.r.deliver = func(m []byte) bool {
		s.delivered = append(s.delivered, string(m))
		return !s.refuse
	}
	s.r.report = func(k hub.Control, p []byte) { s.reported = append(s.reported, controlEvent{k, string(p)}) }
	return s
}

// send writes b from the client and waits until the server's socket holds
// all of it (with what it held before, want bytes), so that one
// readParked sees it whole.
func (s *parkedSocket) send(t *testing.T, b []byte, want int) {
	t.Helper()
	if _, err := s.client.Write(b); err != nil {
		t.Fatal(err)
	}
	peek := make([]byte, want+1)
	for {
		var n int
		var rerr error
		err := s.r.rc.Read(func(fd uintptr) bool {
			n, _, rerr = syscall.Recvfrom(int(fd), peek, syscall.MSG_PEEK)
			return true // blocking recv: returns once there is something
		})
		if err != nil || rerr != nil {
			t.Fatalf("peek: %v %v", err, rerr)
		}
		if n >= want {
			return
		}
	}
}

// The Poller's read of a parked socket: whole frames are handled in
// order, a frame only partly there waits in pending for its rest, and the
// first frame for the library ends the parking with its bytes kept ahead
// of the socket's.
func TestReadParkedFrames(t *testing.T) {
	s := newParkedSocket(t)
	set, _ := protocol.AppendSet(nil, []protocol.Change{{Index: 9, Value: true}})
	click := maskedFrame(opBinary, set)
	ping := maskedFrame(opPing, []byte("p"))
	buf := make([]byte, pollBuf)

	// A click and the first 5 bytes of the next: one message, 5 kept.
	s.send(t, append(append([]byte(nil), click...), click[:5]...), len(click)+5)
	if end := s.r.readParked(buf); end || len(s.delivered) != 1 || len(s.r.pending) != 5 {
		t.Fatalf("end %v, %d delivered, %d kept; want false, 1, 5", end, len(s.delivered), len(s.r.pending))
	}
	// Its rest and a ping: the message whole, then the ping.
	s.send(t, append(append([]byte(nil), click[5:]...), ping...), len(click)-5+len(ping))
	if end := s.r.readParked(buf); end || len(s.delivered) != 2 || s.delivered[1] != string(set) || len(s.r.pending) != 0 {
		t.Fatalf("end %v, delivered %q, %d kept", end, s.delivered, len(s.r.pending))
	}
	if want := []controlEvent{{hub.ControlPing, "p"}}; len(s.reported) != 1 || s.reported[0] != want[0] {
		t.Fatalf("reported %+v, want %+v", s.reported, want)
	}
	// A text message between two clicks: the first click, then the end,
	// with the text frame and the click behind it kept for the library.
	text := maskedFrame(1, []byte("hi"))
	rest := append(append([]byte(nil), text...), click...)
	s.send(t, append(append([]byte(nil), click...), rest...), len(click)+len(rest))
	if end := s.r.readParked(buf); !end || len(s.delivered) != 3 || !bytes.Equal(s.r.pending, rest) {
		t.Fatalf("end %v, %d delivered, kept %x; want true, 3, %x", end, len(s.delivered), s.r.pending, rest)
	}
	s.r.pending = nil
	// deliver saying no more ends the parking after that message.
	s.refuse = true
	s.send(t, append(append([]byte(nil), click...), click...), 2*len(click))
	if end := s.r.readParked(buf); !end || len(s.delivered) != 4 || !bytes.Equal(s.r.pending, click) {
		t.Fatalf("end %v, %d delivered, %d kept; want true, 4, %d", end, len(s.delivered), len(s.r.pending), len(click))
	}
	// The end of the stream ends the parking.
	s.r.pending = nil
	_ = s.client.Close()
	if end := s.r.readParked(buf); !end {
		t.Fatal("end of the stream: parking goes on")
	}
}

// FuzzInlineFrame: a frame the Poller takes is one the gate passes whole,
// ending at a frame boundary, with the payload the client masked; a frame
// it leaves to the library is not taken in any part; bytes that could
// still become a frame it takes are "partial" only while shorter than
// the largest such frame.
func FuzzInlineFrame(f *testing.F) {
	set, _ := protocol.AppendSet(nil, []protocol.Change{{Index: 9, Value: true}})
	f.Add(maskedFrame(opBinary, set))
	f.Add(maskedFrame(opPing, []byte("ping")))
	f.Add(maskedFrame(opPong, nil))
	f.Add(maskedFrame(opBinary, make([]byte, 300))[:40])
	f.Add(maskedFrame(1, []byte("text")))
	f.Add(header64(1 << 63))
	f.Add([]byte{0x82, 0x05, 1, 2, 3, 4, 5})
	f.Fuzz(func(t *testing.T, data []byte) {
		orig := append([]byte(nil), data...)
		fit, op, payload, size := inlineFrame(data)
		switch fit {
		case fitWhole:
			var g gate
			if n := g.scan(orig[:size]); n != size || g.err != nil || !g.atBoundary() {
				t.Fatalf("taken whole (%d bytes, op %d), but the gate passed %d: %v, boundary %v", size, op, n, g.err, g.atBoundary())
			}
			if op != opBinary && op != opPing && op != opPong {
				t.Fatalf("taken with opcode %d", op)
			}
			hdr := size - len(payload)
			for i := range payload {
				if payload[i] != orig[hdr+i]^orig[hdr-maskKey+i%4] {
					t.Fatalf("payload byte %d not unmasked", i)
				}
			}
		case fitPartial:
			if size != 0 || len(data) >= 2+8+maskKey+protocol.MaxClientMessage {
				t.Fatalf("partial with %d bytes (size %d)", len(data), size)
			}
			if !bytes.Equal(data, orig) {
				t.Fatal("partial frame modified")
			}
		case fitLibrary:
			if !bytes.Equal(data, orig) {
				t.Fatal("frame for the library modified")
			}
		default:
			t.Fatalf("fit %v", fit)
		}
	})
}

package wsconn

import (
	"bytes"
	"errors"
	"io"
	"net"
	"runtime"
	"testing"
)

// ownedPair is a loopback connection whose server end the Poller owns:
// it returns the Poller, that end, the runtime's conn it came from, and
// the client's end.
func ownedPair(t *testing.T) (*Poller, *ownedSocket, net.Conn, net.Conn) {
	t.Helper()
	p, err := NewPoller()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	client, orig := loopbackPair(t)
	s, err := p.own(orig)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return p, s, orig, client
}

// waitingFor returns once a goroutine waits on s for w (armed in the
// Poller's wait set).
func waitingFor(p *Poller, s *ownedSocket, w waitFor) {
	for {
		p.waitMu.Lock()
		armed := s.want&w.events() != 0
		p.waitMu.Unlock()
		if armed {
			return
		}
		runtime.Gosched()
	}
}

type readResult struct {
	b   []byte
	err error
}

func readInBackground(s *ownedSocket, size int) <-chan readResult {
	ch := make(chan readResult, 1)
	go func() {
		b := make([]byte, size)
		n, err := s.Read(b)
		ch <- readResult{b[:n], err}
	}()
	return ch
}

// An owned socket is out of the runtime's hands (its conn is closed) and
// works on: a read and a write that must wait are woken by the Poller's
// watcher, each for what it waits for, even while both wait at once.
func TestOwnedSocketWaits(t *testing.T) {
	p, s, orig, client := ownedPair(t)
	if _, err := orig.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("the runtime's conn after own: write gave %v, want net.ErrClosed", err)
	}
	if s.LocalAddr().String() != client.RemoteAddr().String() || s.RemoteAddr().String() != client.LocalAddr().String() {
		t.Fatalf("addresses %v %v, client's %v %v", s.LocalAddr(), s.RemoteAddr(), client.LocalAddr(), client.RemoteAddr())
	}

	read := readInBackground(s, 64)
	waitingFor(p, s, waitRead)

	// A write far bigger than the socket buffers waits too, beside the read.
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<19) // 8 MB
	wrote := make(chan error, 1)
	go func() {
		n, err := s.Write(big)
		if err == nil && n != len(big) {
			err = io.ErrShortWrite
		}
		wrote <- err
	}()
	waitingFor(p, s, waitWrite)
	got, err := io.ReadAll(io.LimitReader(client, int64(len(big))))
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("client read %d bytes (%v), want the %d written", len(got), err, len(big))
	}
	if err := <-wrote; err != nil {
		t.Fatalf("write: %v", err)
	}
	select {
	case r := <-read:
		t.Fatalf("read returned %q, %v before the client wrote", r.b, r.err)
	default:
	}

	if _, err := client.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if r := <-read; r.err != nil || string(r.b) != "hello" {
		t.Fatalf("read %q, %v; want hello", r.b, r.err)
	}

	// The client's end: io.EOF.
	read = readInBackground(s, 64)
	waitingFor(p, s, waitRead)
	_ = client.Close()
	if r := <-read; r.err != io.EOF {
		t.Fatalf("read at the client's close: %q, %v; want io.EOF", r.b, r.err)
	}
}

// Close wakes a goroutine waiting on the socket, which finds it closed;
// every later call says so too.
func TestOwnedSocketCloseWakesWaiters(t *testing.T) {
	p, s, _, _ := ownedPair(t)
	read := readInBackground(s, 64)
	waitingFor(p, s, waitRead)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if r := <-read; !errors.Is(r.err, net.ErrClosed) {
		t.Fatalf("read woken by close: %v, want net.ErrClosed", r.err)
	}
	if _, err := s.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
	raw, _ := s.SyscallConn()
	if err := raw.Control(func(uintptr) { t.Error("Control ran on a closed socket") }); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("control after close: %v", err)
	}
	if err := s.Close(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("second close: %v", err)
	}
}

// Once the Poller has closed, a wait in progress is woken and waits go on
// in poll(2): an owned socket still open at shutdown keeps working.
func TestOwnedSocketOutlivesPoller(t *testing.T) {
	p, s, _, client := ownedPair(t)
	read := readInBackground(s, 64)
	waitingFor(p, s, waitRead)
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Write([]byte("late")); err != nil {
		t.Fatal(err)
	}
	if r := <-read; r.err != nil || string(r.b) != "late" {
		t.Fatalf("read after the Poller closed: %q, %v", r.b, r.err)
	}
	read = readInBackground(s, 64)
	if err := client.Close(); err != nil {
		t.Fatal(err)
	}
	if r := <-read; r.err != io.EOF {
		t.Fatalf("read at the client's close, Poller closed: %q, %v", r.b, r.err)
	}
}

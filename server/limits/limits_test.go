package limits

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"syscall"
	"testing"
	"time"
)

func TestAddressKey(t *testing.T) {
	for _, tc := range []struct{ ip, want string }{
		{"203.0.113.7", "203.0.113.7/32"},
		{"::ffff:203.0.113.7", "203.0.113.7/32"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"},
	} {
		if got := AddressKey(netip.MustParseAddr(tc.ip)).String(); got != tc.want {
			t.Errorf("AddressKey(%s) = %s, want %s", tc.ip, got, tc.want)
		}
	}
}

func TestBucketsTakeRefundSweep(t *testing.T) {
	b := NewBuckets[string](Rate{Per: 10, Burst: 5})
	now := time.Unix(1000, 0)
	if g, _ := b.Take("a", 3, now); g != 3 {
		t.Fatalf("took %d of 3", g)
	}
	g, retry := b.Take("a", 3, now)
	if g != 2 || retry != 100*time.Millisecond {
		t.Fatalf("took %d, retry %v; want 2 and 100ms (one refused box at 10/s)", g, retry)
	}
	// Retry-after is until all the refused boxes fit, capped at a burst.
	if g, retry := b.Take("a", 4, now); g != 0 || retry != 400*time.Millisecond {
		t.Fatalf("took %d, retry %v; want 0 and 400ms for 4 boxes at 10/s", g, retry)
	}
	if g, retry := b.Take("a", 50, now); g != 0 || retry != 500*time.Millisecond {
		t.Fatalf("took %d, retry %v; want 0 and 500ms (a full burst of 5)", g, retry)
	}
	if w := b.Wait("a", 3, now.Add(100*time.Millisecond)); w != 200*time.Millisecond {
		t.Fatalf("wait for 3 after 100ms: %v, want 200ms", w)
	}
	if w := b.Wait("unseen", 3, now); w != 0 {
		t.Fatalf("wait on a new bucket: %v", w)
	}
	if g, _ := b.Take("b", 5, now); g != 5 {
		t.Fatal("buckets are not per key")
	}
	b.Refund("a", 2, now)
	if g, _ := b.Take("a", 5, now); g != 2 {
		t.Fatalf("after refund took %d, want 2", g)
	}
	if g, _ := b.Take("a", 5, now.Add(300*time.Millisecond)); g != 3 {
		t.Fatalf("after 300ms at 10/s took %d, want 3", g)
	}
	if n := b.Sweep(now.Add(time.Hour)); n != 0 {
		t.Fatalf("sweep kept %d idle full buckets", n)
	}
}

func TestConns(t *testing.T) {
	c := NewConns(2, 3)
	a, b := netip.MustParsePrefix("1.1.1.1/32"), netip.MustParsePrefix("2.2.2.2/32")
	for _, step := range []struct {
		key  netip.Prefix
		want error
	}{{a, nil}, {a, nil}, {a, ErrTooManyAddress}, {b, nil}, {b, ErrTooManyTotal}} {
		if err := c.Acquire(step.key); !errors.Is(err, step.want) {
			t.Fatalf("acquire %v: %v, want %v", step.key, err, step.want)
		}
	}
	c.Release(a)
	if err := c.Acquire(b); err != nil {
		t.Fatalf("after release: %v", err)
	}
}

// TestCapListener: over real loopback sockets, the cap holds per address,
// a closed connection frees its slot (once, however often it is closed),
// and accepted connections still expose their fd for non-blocking writes.
func TestCapListener(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := 0
	ln := CapListener(inner, 2, func() { refused++ })
	defer ln.Close()
	accepted := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	dial := func() net.Conn {
		c, err := net.Dial("tcp", inner.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	dial()
	dial()
	a, b := <-accepted, <-accepted
	if _, err := a.(syscall.Conn).SyscallConn(); err != nil {
		t.Fatalf("capped conn hides its fd: %v", err)
	}
	third := dial()
	_ = third.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := third.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("third connection not closed by the listener: %v", err)
	}
	a.Close()
	a.Close() // a second Close must not free a second slot
	dial()
	<-accepted
	over := dial()
	_ = over.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := over.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a double Close freed two slots: %v", err)
	}
	b.Close()
	ln.Close()
	for range accepted {
	}
	if refused != 2 {
		t.Fatalf("refused counted %d, want 2", refused)
	}
}

package throttle

import (
	"fmt"
	"testing"
	"time"
)

func TestBucketStaysUnderTheServerLimit(t *testing.T) {
	var b Bucket
	if !b.Take(0) {
		t.Fatal("unconfigured bucket refused")
	}
	b.Configure(20, 60, 0) // the server allows 60 at once, 20/s
	n := 0
	for b.Take(0) {
		n++
	}
	if n != 54 {
		t.Fatalf("burst of %d, want 54 (90%% of 60)", n)
	}
	if w := b.Wait(0); w != time.Second/18 {
		t.Fatalf("wait %v, want %v", w, time.Second/18)
	}
	// Over ten seconds at full tilt: never more than the server's 60 + 20·10.
	for now := time.Duration(0); now <= 10*time.Second; now += time.Millisecond {
		if b.Take(now) {
			n++
		}
	}
	if n > 60+200 || n < 54+170 {
		t.Fatalf("%d boxes in 10 s", n)
	}
	b.Drain(10 * time.Second)
	if b.Take(10 * time.Second) {
		t.Fatal("drained bucket gave a token")
	}
}

func TestCooldownOneMessagePerEpisode(t *testing.T) {
	var c Cooldown
	n := 0
	quip := func() string { n++; return fmt.Sprintf("quip %d", n) }
	c.Start(time.Second, 1500*time.Millisecond, Ours, quip)
	c.Start(1200*time.Millisecond, 500*time.Millisecond, Ours, quip) // during: same quip, deadline kept
	c.Start(2*time.Second, 1000*time.Millisecond, Ours, quip)        // during: extended
	if src, msg := c.Shown(2 * time.Second); src != Ours || msg != "quip 1" || n != 1 {
		t.Fatalf("during the episode: %v %q after %d quips", src, msg, n)
	}
	if r := c.Remaining(2 * time.Second); r != time.Second {
		t.Fatalf("remaining %v, want 1s (extended to 3 s)", r)
	}
	if tot := c.Total(); tot != 2*time.Second {
		t.Fatalf("total %v, want 2s", tot)
	}
	// The server refuses too: its news replaces ours in the same episode.
	c.Start(2500*time.Millisecond, 100*time.Millisecond, Server, quip)
	if src, msg := c.Shown(2500 * time.Millisecond); src != Server || msg != "quip 2" {
		t.Fatalf("after a Reject: %v %q", src, msg)
	}
	if c.Active(3*time.Second) || !c.Active(2999*time.Millisecond) {
		t.Fatal("episode should end at 3 s")
	}
	if src, _ := c.Shown(3*time.Second + MessageLinger); src != None {
		t.Fatal("message outlived its linger")
	}
	// A new episode gets a new quip.
	c.Start(10*time.Second, time.Second, Ours, quip)
	if _, msg := c.Shown(10 * time.Second); msg != "quip 3" {
		t.Fatalf("new episode: %q", msg)
	}
}

func TestBucketWaitFor(t *testing.T) {
	var b Bucket
	b.Configure(10, 20, 0) // 9/s, 18
	for b.Take(0) {
	}
	if w := b.WaitFor(9, 0); w != time.Second {
		t.Fatalf("WaitFor(9) = %v, want 1s", w)
	}
	if w := b.WaitFor(100, 0); w != 2*time.Second {
		t.Fatalf("WaitFor(100) = %v, want 2s (capped at the burst)", w)
	}
}

func TestQuipsNeverRepeatInARow(t *testing.T) {
	q := NewQuips(42)
	if q.Len() < 12 {
		t.Fatalf("only %d messages", q.Len())
	}
	seen := map[string]bool{}
	prev := ""
	for range 10 * q.Len() {
		s := q.Next()
		if s == prev {
			t.Fatalf("%q twice in a row", s)
		}
		seen[s] = true
		prev = s
	}
	if len(seen) != q.Len() {
		t.Fatalf("saw %d of %d messages", len(seen), q.Len())
	}
}

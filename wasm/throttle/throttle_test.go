package throttle

import (
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

func TestCooldown(t *testing.T) {
	var c Cooldown
	c.Start(time.Second, 1500*time.Millisecond, "slow")
	c.Start(time.Second, 500*time.Millisecond, "slower") // shorter: keeps the deadline
	tests := []struct {
		at     time.Duration
		remain time.Duration
		shown  string
	}{
		{time.Second, 1500 * time.Millisecond, "slower"},
		{2500 * time.Millisecond, 0, "slower"},
		{2500*time.Millisecond + MessageLinger, 0, ""},
	}
	for _, tc := range tests {
		if r := c.Remaining(tc.at); r != tc.remain {
			t.Errorf("at %v remaining %v, want %v", tc.at, r, tc.remain)
		}
		if s := c.Shown(tc.at); s != tc.shown {
			t.Errorf("at %v shown %q, want %q", tc.at, s, tc.shown)
		}
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

package conn

import (
	"testing"
	"time"
)

func TestBackoffGrowsWithJitterToTheCap(t *testing.T) {
	var b Backoff
	wantMax := []time.Duration{250, 500, 1000, 2000, 4000, 8000, 10000, 10000}
	for i, m := range wantMax {
		m *= time.Millisecond
		lo, hi := b, b
		if d := lo.Next(0); d != m/2 {
			t.Errorf("attempt %d: shortest %v, want %v", i, d, m/2)
		}
		if d := hi.Next(0.999999); d >= m || d < m*99/100 {
			t.Errorf("attempt %d: longest %v, want just under %v", i, d, m)
		}
		b.Next(0.5)
	}
	b.Reset()
	if d := b.Next(0); d != BackoffBase/2 {
		t.Errorf("after reset %v", d)
	}
	b.Reset()
	b.Later()
	if d := b.Next(0); d != time.Second {
		t.Errorf("later %v, want 1s", d)
	}
}

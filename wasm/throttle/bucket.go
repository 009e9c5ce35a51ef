package throttle

import (
	"math"
	"time"
)

// Headroom is the share of the server's rate and burst the client allows
// itself: clocks and network jitter make the two buckets drift, and a
// client that spends exactly the server's budget would meet Rejects.
const Headroom = 0.9

// Bucket is a token bucket: Burst tokens at most, refilled at Rate per
// second. The zero Bucket refuses nothing (no limits known yet).
type Bucket struct {
	rate, burst float64
	tokens      float64
	last        time.Duration
	set         bool
}

// Configure sets the server's limits (boxes per second, burst), scaled by
// Headroom, and fills the bucket. A zero rate means "no limit announced".
func (b *Bucket) Configure(rate, burst int, now time.Duration) {
	if rate <= 0 {
		*b = Bucket{}
		return
	}
	b.rate = float64(rate) * Headroom
	b.burst = math.Max(1, math.Floor(float64(max(burst, 1))*Headroom))
	b.tokens, b.last, b.set = b.burst, now, true
}

func (b *Bucket) refill(now time.Duration) {
	if now > b.last {
		b.tokens = math.Min(b.burst, b.tokens+b.rate*(now-b.last).Seconds())
		b.last = now
	}
}

// Take spends one token if there is one.
func (b *Bucket) Take(now time.Duration) bool {
	if !b.set {
		return true
	}
	b.refill(now)
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// Drain empties the bucket (the server said we are over its limit, so ours
// is too optimistic).
func (b *Bucket) Drain(now time.Duration) {
	b.refill(now)
	b.tokens = 0
}

// Wait is how long until Take can succeed.
func (b *Bucket) Wait(now time.Duration) time.Duration {
	if !b.set {
		return 0
	}
	b.refill(now)
	if b.tokens >= 1 {
		return 0
	}
	return time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
}

// WaitFor is how long until the bucket holds n tokens (at most Burst).
func (b *Bucket) WaitFor(n float64, now time.Duration) time.Duration {
	if !b.set {
		return 0
	}
	b.refill(now)
	n = math.Min(n, b.burst)
	if b.tokens >= n {
		return 0
	}
	return time.Duration((n - b.tokens) / b.rate * float64(time.Second))
}

// Level is the share of the bucket that is full at now, 0 to 1 (1 when
// unconfigured: nothing is limited).
func (b *Bucket) Level(now time.Duration) float64 {
	if !b.set {
		return 1
	}
	b.refill(now)
	return b.tokens / b.burst
}

// Rate is the bucket's refill rate in tokens per second (0 unconfigured).
func (b *Bucket) Rate() float64 { return b.rate }

// Burst is the bucket's capacity (0 unconfigured).
func (b *Bucket) Burst() float64 { return b.burst }

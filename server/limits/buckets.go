package limits

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Rate is a token bucket's shape: Per boxes a second sustained, Burst at once.
type Rate struct {
	Per   float64
	Burst int
}

// Buckets holds one token bucket per key. Buckets of keys not seen for a
// while are forgotten by Sweep, so memory follows the number of recent
// players, not of all players ever. Safe for concurrent use.
type Buckets[K comparable] struct {
	rate Rate
	mu   sync.Mutex
	m    map[K]*bucket
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time // guarded by Buckets.mu
}

// NewBuckets returns an empty set of buckets of shape r.
func NewBuckets[K comparable](r Rate) *Buckets[K] {
	return &Buckets[K]{rate: r, m: make(map[K]*bucket)}
}

// Take takes up to n tokens from key's bucket at now. It returns how many it
// took and, if fewer than n, how long until the bucket holds the ones it
// refused (at most a full burst): the time after which sending those again
// succeeds, not merely the time to the next single token.
func (b *Buckets[K]) Take(key K, n int, now time.Time) (granted int, retry time.Duration) {
	b.mu.Lock()
	bk := b.m[key]
	if bk == nil {
		bk = &bucket{lim: rate.NewLimiter(rate.Limit(b.rate.Per), b.rate.Burst)}
		b.m[key] = bk
	}
	bk.seen = now
	b.mu.Unlock()
	return take(bk.lim, n, now)
}

// Refund gives back n tokens to key's bucket, for boxes another limit
// refused after this one granted them.
func (b *Buckets[K]) Refund(key K, n int, now time.Time) {
	b.mu.Lock()
	bk := b.m[key]
	b.mu.Unlock()
	if bk != nil && n > 0 {
		// Limiter has no refund: a negative reservation is the documented
		// way to return tokens.
		bk.lim.ReserveN(now, -n)
	}
}

func take(lim *rate.Limiter, n int, now time.Time) (int, time.Duration) {
	avail := int(math.Floor(lim.TokensAt(now)))
	g := min(n, max(avail, 0))
	if g > 0 && !lim.AllowN(now, g) {
		g = 0 // another goroutine drained the bucket in between
	}
	if g == n {
		return g, 0
	}
	return g, wait(lim, n-g, now)
}

// wait is how long until lim holds n tokens (at most a full burst).
func wait(lim *rate.Limiter, n int, now time.Time) time.Duration {
	need := float64(min(n, lim.Burst()))
	t := lim.TokensAt(now)
	if t >= need {
		return 0
	}
	return time.Duration((need - t) / float64(lim.Limit()) * float64(time.Second))
}

// Wait returns how long until key's bucket holds n tokens (at most a full
// burst), without taking any; 0 for a key it has not seen (a new bucket is
// full).
func (b *Buckets[K]) Wait(key K, n int, now time.Time) time.Duration {
	b.mu.Lock()
	bk := b.m[key]
	b.mu.Unlock()
	if bk == nil {
		return 0
	}
	return wait(bk.lim, n, now)
}

// Sweep forgets buckets not used since before cutoff that are full again
// (a full bucket is the same as a new one, so nothing is forgiven early).
func (b *Buckets[K]) Sweep(cutoff time.Time) (kept int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for k, bk := range b.m {
		if bk.seen.Before(cutoff) && bk.lim.TokensAt(cutoff) >= float64(b.rate.Burst) {
			delete(b.m, k)
		}
	}
	return len(b.m)
}

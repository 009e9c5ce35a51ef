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
	Bucket
	seen time.Time // guarded by Buckets.mu
}

// Bucket is one token bucket (golang.org/x/time/rate's Limiter): the one
// implementation of "spend n, or say how long until you can" that every
// limit of the server uses, alone (a connection's message budget, an area
// client's snapshot budget) or keyed in Buckets. The zero Bucket is not
// usable: NewBucket makes one. Safe for concurrent use.
type Bucket struct{ lim *rate.Limiter }

// NewBucket returns a full bucket of shape r.
func NewBucket(r Rate) Bucket { return Bucket{rate.NewLimiter(rate.Limit(r.Per), r.Burst)} }

// Take takes up to n tokens at now. It returns how many it took and, if
// fewer than n, how long until the bucket holds the ones it refused (at
// most a full burst): the time after which sending those again succeeds,
// not merely the time to the next single token.
func (b Bucket) Take(n int, now time.Time) (granted int, retry time.Duration) {
	lim := b.lim
	avail := int(math.Floor(lim.TokensAt(now)))
	g := min(n, max(avail, 0))
	if g > 0 && !lim.AllowN(now, g) {
		g = 0 // another goroutine drained the bucket in between
	}
	if g == n {
		return g, 0
	}
	return g, b.Wait(n-g, now)
}

// Allow takes n tokens at now if the bucket holds them all, else none.
func (b Bucket) Allow(n int, now time.Time) bool { return b.lim.AllowN(now, n) }

// Refund gives back n tokens, for what another limit refused after this
// one granted it.
func (b Bucket) Refund(n int, now time.Time) {
	if n > 0 {
		// Limiter has no refund: a negative reservation is the documented
		// way to return tokens.
		b.lim.ReserveN(now, -n)
	}
}

// Wait is how long until the bucket holds n tokens (at most a full
// burst), without taking any.
func (b Bucket) Wait(n int, now time.Time) time.Duration {
	lim := b.lim
	need := float64(min(n, lim.Burst()))
	t := lim.TokensAt(now)
	if t >= need {
		return 0
	}
	return time.Duration((need - t) / float64(lim.Limit()) * float64(time.Second))
}

// IsZero reports whether b was never made (NewBucket).
func (b Bucket) IsZero() bool { return b.lim == nil }

// full reports whether the bucket holds a whole burst at now.
func (b Bucket) full(now time.Time) bool { return b.lim.TokensAt(now) >= float64(b.lim.Burst()) }

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
		bk = &bucket{Bucket: NewBucket(b.rate)}
		b.m[key] = bk
	}
	bk.seen = now
	b.mu.Unlock()
	return bk.Take(n, now)
}

// Refund gives back n tokens to key's bucket, for boxes another limit
// refused after this one granted them.
func (b *Buckets[K]) Refund(key K, n int, now time.Time) {
	b.mu.Lock()
	bk := b.m[key]
	b.mu.Unlock()
	if bk != nil {
		bk.Refund(n, now)
	}
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
	return bk.Wait(n, now)
}

// Sweep forgets buckets not used since before cutoff that are full again
// (a full bucket is the same as a new one, so nothing is forgiven early).
func (b *Buckets[K]) Sweep(cutoff time.Time) (kept int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for k, bk := range b.m {
		if bk.seen.Before(cutoff) && bk.full(cutoff) {
			delete(b.m, k)
		}
	}
	return len(b.m)
}

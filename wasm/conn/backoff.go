package conn

import "time"

// Reconnect delays (PROTOCOL.md, "Close codes").
const (
	BackoffBase = 250 * time.Millisecond
	BackoffCap  = 10 * time.Second
	// laterAttempt is where backoff starts after a close that asks us to
	// come back later (too many connections, overloaded, abuse): 2 s, so a
	// crowd of clients does not hammer a server that is shedding them.
	laterAttempt = 3
)

// Backoff is jittered exponential backoff: attempt n waits a random time in
// [d/2, d) for d = min(BackoffCap, BackoffBase·2ⁿ). The jitter spreads out
// clients that lost the server at the same moment.
type Backoff struct{ attempt int }

// Next returns the delay before the next attempt, for r uniform in [0, 1),
// and counts the attempt.
func (b *Backoff) Next(r float64) time.Duration {
	d := BackoffCap
	if b.attempt < 16 && BackoffBase<<b.attempt < BackoffCap {
		d = BackoffBase << b.attempt
	}
	b.attempt++
	return d/2 + time.Duration(r*float64(d/2))
}

// Later makes the next delay at least that of attempt laterAttempt.
func (b *Backoff) Later() { b.attempt = max(b.attempt, laterAttempt) }

// Reset starts over after a connection that worked.
func (b *Backoff) Reset() { b.attempt = 0 }

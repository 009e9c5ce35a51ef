package bots

import (
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Lane is one token's quota and its open connections. Every connection
// of the token draws from the same bucket: a program cannot multiply its
// quota by opening more sockets.
type Lane struct {
	id  uint64
	key string // the hub's player key: "bot:<id>"

	mu      sync.Mutex
	lim     *rate.Limiter
	revoked bool
	cuts    map[int]func()
	next    int
}

func newLane(t Token) *Lane {
	return &Lane{id: t.ID, key: "bot:" + strconv.FormatUint(t.ID, 10), lim: rate.NewLimiter(rate.Limit(t.Rate), t.Burst), cuts: map[int]func(){}}
}

// Key is the player key the hub counts the token's connections under.
func (l *Lane) Key() string { return l.key }

// Take grants up to n boxes now from the token's quota and, for the rest,
// the time until all of them would be granted (none once revoked).
func (l *Lane) Take(n int, now time.Time) (granted int, retry time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.revoked {
		return 0, time.Hour
	}
	granted = min(n, int(l.lim.TokensAt(now)))
	if granted > 0 {
		l.lim.AllowN(now, granted)
	}
	if granted == n {
		return n, 0
	}
	left := min(n-granted, l.lim.Burst())
	r := l.lim.ReserveN(now, left)
	retry = r.DelayFrom(now)
	r.CancelAt(now)
	return granted, max(retry, time.Millisecond)
}

// Bind registers cut, which ends one connection of the token, to be
// called on revocation (at once if it already happened); unbind forgets
// it when the connection ends.
func (l *Lane) Bind(cut func()) (unbind func()) {
	l.mu.Lock()
	if l.revoked {
		l.mu.Unlock()
		cut()
		return func() {}
	}
	n := l.next
	l.next++
	l.cuts[n] = cut
	l.mu.Unlock()
	return func() {
		l.mu.Lock()
		delete(l.cuts, n)
		l.mu.Unlock()
	}
}

// revoke stops the lane's quota and cuts every open connection; it
// returns how many there were.
func (l *Lane) revoke() int {
	l.mu.Lock()
	l.revoked = true
	cuts := l.cuts
	l.cuts = map[int]func(){}
	l.mu.Unlock()
	for _, cut := range cuts {
		cut()
	}
	return len(cuts)
}

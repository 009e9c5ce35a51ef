package tally

import (
	"cmp"
	"hash/maphash"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Bounds.
const (
	shards = 64 // readers on many cores rarely meet on one mutex
	// maxKeys bounds each shard's map a window: 64 × 4,096 = 262,144 keys
	// of each kind, far above the connections one server holds (60,000).
	maxKeys = 4096
	// DefaultWindow is a minute: long enough to see who draws, short
	// enough that the list is about now.
	DefaultWindow = time.Minute
)

// Counts is what one key did.
type Counts struct {
	Toggled int64 `json:"toggled"`
	Refused int64 `json:"refused"`
}

// Entry is one line of a top list.
type Entry struct {
	Key string `json:"key"`
	Counts
}

// Top is the top lists.
type Top struct {
	Window             string  `json:"window"` // each list covers one to two of these
	PlayersByToggled   []Entry `json:"players_by_toggled"`
	PlayersByRefused   []Entry `json:"players_by_refused"`
	AddressesByToggled []Entry `json:"addresses_by_toggled"`
	AddressesByRefused []Entry `json:"addresses_by_refused"`
	// Untracked counts boxes of keys past the shards' bounds.
	Untracked Counts `json:"untracked"`
}

type shard[K comparable] struct {
	mu        sync.Mutex
	start     time.Time // of cur's window
	cur, prev map[K]Counts
}

// table is one kind of key's shards. Keys are kept as they come (an
// address as its netip.Prefix): no string is made on the Set path.
type table[K comparable] struct {
	seed   maphash.Seed
	shards [shards]shard[K]
}

// Tally counts per player and per address.
type Tally struct {
	window           time.Duration
	players          table[string]
	addrs            table[netip.Prefix]
	untrackedToggled atomic.Int64
	untrackedRefused atomic.Int64
}

// New returns a tally over windows of w (0: DefaultWindow).
func New(w time.Duration) *Tally {
	if w <= 0 {
		w = DefaultWindow
	}
	t := &Tally{window: w}
	t.players.seed, t.addrs.seed = maphash.MakeSeed(), maphash.MakeSeed()
	return t
}

// Count adds one Set frame's outcome for player and addr.
func (t *Tally) Count(player string, addr netip.Prefix, toggled, refused int, now time.Time) {
	if toggled == 0 && refused == 0 {
		return
	}
	c := Counts{int64(toggled), int64(refused)}
	add(t, &t.players, player, c, now)
	add(t, &t.addrs, addr, c, now)
}

func add[K comparable](t *Tally, tb *table[K], key K, c Counts, now time.Time) {
	s := &tb.shards[maphash.Comparable(tb.seed, key)%shards]
	s.mu.Lock()
	defer s.mu.Unlock()
	rotate(s, t.window, now)
	old, ok := s.cur[key]
	if !ok && len(s.cur) >= maxKeys {
		t.untrackedToggled.Add(c.Toggled)
		t.untrackedRefused.Add(c.Refused)
		return
	}
	s.cur[key] = Counts{old.Toggled + c.Toggled, old.Refused + c.Refused}
}

// rotate starts a new window in s if cur's is over (s.mu held).
func rotate[K comparable](s *shard[K], window time.Duration, now time.Time) {
	switch {
	case s.cur == nil:
		s.cur, s.start = map[K]Counts{}, now
	case now.Sub(s.start) >= 2*window:
		s.prev, s.cur, s.start = nil, map[K]Counts{}, now
	case now.Sub(s.start) >= window:
		s.prev, s.cur, s.start = s.cur, map[K]Counts{}, s.start.Add(window)
	}
}

// Top returns the n keys of each kind with the most boxes changed and the
// most refused (ties by key), over the last one to two windows.
func (t *Tally) Top(n int, now time.Time) Top {
	players := sum(t, &t.players, now, func(k string) string { return k })
	addrs := sum(t, &t.addrs, now, netip.Prefix.String)
	return Top{
		Window:             t.window.String(),
		PlayersByToggled:   top(players, n, func(c Counts) int64 { return c.Toggled }),
		PlayersByRefused:   top(players, n, func(c Counts) int64 { return c.Refused }),
		AddressesByToggled: top(addrs, n, func(c Counts) int64 { return c.Toggled }),
		AddressesByRefused: top(addrs, n, func(c Counts) int64 { return c.Refused }),
		Untracked:          Counts{t.untrackedToggled.Load(), t.untrackedRefused.Load()},
	}
}

// sum merges every shard's two windows, keyed by name(key).
func sum[K comparable](t *Tally, tb *table[K], now time.Time, name func(K) string) map[string]Counts {
	out := map[string]Counts{}
	for i := range tb.shards {
		s := &tb.shards[i]
		s.mu.Lock()
		rotate(s, t.window, now)
		for _, m := range []map[K]Counts{s.prev, s.cur} {
			for k, c := range m {
				n := name(k)
				o := out[n]
				out[n] = Counts{o.Toggled + c.Toggled, o.Refused + c.Refused}
			}
		}
		s.mu.Unlock()
	}
	return out
}

func top(m map[string]Counts, n int, by func(Counts) int64) []Entry {
	var es []Entry
	for k, c := range m {
		if by(c) > 0 {
			es = append(es, Entry{k, c})
		}
	}
	slices.SortFunc(es, func(a, b Entry) int {
		if c := cmp.Compare(by(b.Counts), by(a.Counts)); c != 0 {
			return c
		}
		return cmp.Compare(a.Key, b.Key)
	})
	return es[:min(n, len(es))]
}

package hub

import (
	"runtime"
	"time"

	"checkgrid/server/limits"
)

// Config tunes a Hub. Zero fields take the defaults below.
type Config struct {
	// Tick is the period of the sequencer's ticks (the hub paces them:
	// Period), and of the hub's idle work. 50 ms (20 Hz) keeps the added
	// toggle-to-seen latency at 25 ms on average, well inside the 150 ms
	// p99 budget, while batching enough changes per Delta that per-frame
	// costs (one write per client) stay affordable; see BENCHMARKS.md.
	Tick time.Duration
	// MaxTick and WriteBudget make the tick adaptive: with more clients than
	// WriteBudget × Tick, the period grows (up to MaxTick, 100 ms = 10 Hz)
	// so that clients × ticks/s stays near WriteBudget writes a second. The
	// default, 40,000, is about what the server delivered on our 2-core
	// machine with the load generator beside it (33,500 frames/s at 26 µs
	// each, BENCHMARKS.md "Load"): below 2,000 clients ticks stay at 20 Hz,
	// from 4,000 they are at 10 Hz, where more batching per frame is the
	// only way to keep up.
	MaxTick     time.Duration
	WriteBudget float64
	// OutboxFrames bounds each client's queue. 32 frames is 1.6–3.2 s of
	// ticks: a slower client is not keeping up and is resynced. Each slot
	// costs 24 B per idle connection, so this is also a memory knob.
	OutboxFrames int
	// MaxResyncs within ResyncWindow before a client is disconnected as too
	// slow: resyncing costs a snapshot each time.
	MaxResyncs   int
	ResyncWindow time.Duration
	// StatsEvery is the period of rounds of Stats: a round starts on the
	// first sweep tick a period after the last (PROTOCOL.md, Stats, "When").
	StatsEvery time.Duration
	// WriteTimeout ends a connection whose writes stall this long.
	WriteTimeout time.Duration
	// PingEvery and PingTimeout keep idle connections honest.
	PingEvery   time.Duration
	PingTimeout time.Duration
	// MaxSetBoxes is announced in Welcome and enforced per Set frame.
	MaxSetBoxes int
	// PlayerRate and AddressRate shape the token buckets, in boxes.
	PlayerRate  limits.Rate
	AddressRate limits.Rate
	// AbuseRejects: this many consecutive fully refused Set frames close
	// the connection with CloseAbuse; a person backs off long before.
	AbuseRejects int
	// ViewportInterval is the least time between two area changes applied
	// for one client, announced in version-2 Welcome; AreaBudget bounds the
	// area snapshots one client can cause, in boxes (viewport.go).
	ViewportInterval time.Duration
	AreaBudget       limits.Rate
	// PassiveAfter: a version-3 whole-grid client that sent no Set and no
	// Viewport for this long gets DeltaRanges instead of every Delta
	// (pace.go). Zero is the default, PassiveAfter.
	PassiveAfter time.Duration
	// PaceTicks: a passive client gets one DeltaRange per this many
	// Deltas (pace.go). Zero is the default, PaceTicks.
	PaceTicks int
	// MaxConnsPerAddr is announced in version-2 Welcome; the cap itself is
	// enforced before the upgrade (limits.Conns).
	MaxConnsPerAddr int
	// MessageRate budgets every frame a client sends, control frames
	// included (budget.go); running out closes it with CloseAbuse.
	MessageRate limits.Rate
	// Senders is the size of the sender pool that writes broadcasts to
	// sockets: one per core (GOMAXPROCS) by default, since each is busy
	// in write(2) and more would only contend.
	Senders int
	// Gate, if set, may refuse a player's boxes before anything else
	// (bans, frozen areas: server/moderation).
	Gate Gate
	// Tally, if set, counts each Set's outcome per player and address
	// (the operator's top lists: server/tally).
	Tally Tally
}

// Defaults for Config. A person clicking or drawing a line needs a burst of
// a few hundred boxes and then a few per second; a bot wants thousands per
// second and gets the sustained rate.
const (
	DefaultTick         = 50 * time.Millisecond
	DefaultMaxTick      = 100 * time.Millisecond
	DefaultWriteBudget  = 40000
	DefaultOutboxFrames = 32
	DefaultMaxResyncs   = 4
	DefaultResyncWindow = time.Minute
	DefaultStatsEvery   = time.Second
	DefaultWriteTimeout = 10 * time.Second
	DefaultPingEvery    = 25 * time.Second
	DefaultPingTimeout  = 15 * time.Second
	DefaultMaxSetBoxes  = 256
	DefaultAbuseRejects = 200
)

// DefaultPlayerRate and DefaultAddressRate: an address gets a few players'
// worth, for households and classrooms behind one NAT.
// DefaultMessageRate: the client sends at most one Set per frame it draws
// (60 a second while a player draws) plus a Viewport now and then; 100 a
// second with a burst of 400 leaves it room, while a flood of thousands of
// pongs or viewports a second is cut off within a few seconds.
var (
	DefaultPlayerRate  = limits.Rate{Per: 20, Burst: 300}
	DefaultAddressRate = limits.Rate{Per: 60, Burst: 900}
	DefaultMessageRate = limits.Rate{Per: 100, Burst: 400}
)

func (c Config) withDefaults() Config {
	set := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	seti := func(d *int, v int) {
		if *d <= 0 {
			*d = v
		}
	}
	set(&c.Tick, DefaultTick)
	set(&c.MaxTick, DefaultMaxTick)
	if c.WriteBudget <= 0 {
		c.WriteBudget = DefaultWriteBudget
	}
	set(&c.ResyncWindow, DefaultResyncWindow)
	set(&c.StatsEvery, DefaultStatsEvery)
	set(&c.WriteTimeout, DefaultWriteTimeout)
	set(&c.PingEvery, DefaultPingEvery)
	set(&c.PingTimeout, DefaultPingTimeout)
	seti(&c.OutboxFrames, DefaultOutboxFrames)
	seti(&c.MaxResyncs, DefaultMaxResyncs)
	seti(&c.MaxSetBoxes, DefaultMaxSetBoxes)
	seti(&c.AbuseRejects, DefaultAbuseRejects)
	if c.PlayerRate.Per <= 0 {
		c.PlayerRate = DefaultPlayerRate
	}
	if c.AddressRate.Per <= 0 {
		c.AddressRate = DefaultAddressRate
	}
	set(&c.ViewportInterval, DefaultViewportInterval)
	set(&c.PassiveAfter, PassiveAfter)
	seti(&c.PaceTicks, PaceTicks)
	if c.AreaBudget.Per <= 0 {
		c.AreaBudget = limits.Rate{Per: DefaultAreaBudgetRate, Burst: DefaultAreaBudgetBurst}
	}
	if c.MessageRate.Per <= 0 {
		c.MessageRate = DefaultMessageRate
	}
	if c.Senders <= 0 {
		c.Senders = runtime.GOMAXPROCS(0)
	}
	return c
}

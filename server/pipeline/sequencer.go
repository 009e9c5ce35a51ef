package pipeline

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/grid"
	"checkgrid/server/metrics"
)

// ErrStopped is returned by Impose once Run has ended.
var ErrStopped = errors.New("pipeline: stopped")

// feedQueue is how many committed steps may wait for the follower. While
// it is full the Sequencer waits, and what players set meanwhile goes in
// the next, larger Delta: a slow fan-out costs batching, not Deltas
// queued behind it (which would only add latency).
const feedQueue = 2

// imposeWait bounds how long Impose waits for its change to be committed:
// a tick or two and an fsync, far less, unless the disk fails.
const imposeWait = 5 * time.Second

// Config tunes a Sequencer.
type Config struct {
	// Tick is the tick period when Run is given no Pacer.
	Tick time.Duration
	// CheckpointOnStop writes a checkpoint when Run ends.
	CheckpointOnStop bool
}

// Pacer paces the ticks: it is the follower that fans the Deltas out (the
// hub), which knows what a tick costs it.
type Pacer interface {
	// Period is the time to the next tick.
	Period() time.Duration
	// Behind reports whether earlier Deltas are still being written out;
	// the tick is then merged into the next.
	Behind() bool
}

// Sequencer is the one place a grid's changes are sequenced: collect ─►
// encode one Delta ─► Log.Append until it sticks ─► Committed.
type Sequencer struct {
	cfg    Config
	log    Log // nil: nothing is persisted (tests, benchmarks)
	grid   *grid.Grid
	m      *metrics.Metrics
	logger *slog.Logger
	epoch  uint64
	out    chan Committed
	done   chan struct{} // closed when Run returns

	writable atomic.Bool   // the last Append worked
	seq      atomic.Uint64 // committed and handed to the feed
	// For Impose: collects begun and finished, the last seq encoded.
	collects, collected, encoded atomic.Uint64

	// Run's
	gather     Gatherer // log as a Gatherer, or nil
	setBox     func(uint32, bool) bool
	beforeCut  func()          // BeforeCut's; set before Run
	col        *grid.Collector // its published grid is at the committed seq between ticks
	pending    *Committed      // encoded but refused by the log: appended again before anything newer
	scratch    []uint32
	toggles    uint64 // at the committed seq
	lastAppend time.Time
}

// New returns a Sequencer of the grid start (with toggles, its running
// count of changes), durable in lg up to seq, in history epoch; it makes
// its own live grid from start and does not keep start. lg may be nil for
// a server that persists nothing.
func New(cfg Config, start *protocol.Bitset, toggles uint64, lg Log, epoch, seq uint64, m *metrics.Metrics, logger *slog.Logger) *Sequencer {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	g := grid.FromBitset(start, toggles)
	s := &Sequencer{cfg: cfg, log: lg, grid: g, m: m, logger: logger, epoch: epoch,
		out: make(chan Committed, feedQueue), done: make(chan struct{}), col: grid.NewCollector(g), toggles: g.Toggles()}
	s.gather, _ = lg.(Gatherer)
	s.setBox = func(i uint32, v bool) bool { return s.grid.Set(i, v) }
	s.writable.Store(true)
	s.seq.Store(seq)
	s.encoded.Store(seq)
	return s
}

// BeforeCut registers f to run on the Sequencer's goroutine right before
// each tick collects the Sets: the server reads there the clicks waiting
// in its parked sockets (wsconn.Poller.ReadNow), so that a click that came
// before the cut makes this tick however its socket is otherwise read. f
// must not wait for the Sequencer. Call it before Run.
func (s *Sequencer) BeforeCut(f func()) { s.beforeCut = f }

// Run sequences until ctx ends: first a reset to the grid at the
// recovered seq, then a Delta every tick that has changes. On the way out
// it commits what players set before the end, writes a checkpoint if
// configured, and closes the feed. pace may be nil (Config.Tick, never
// behind). It returns nil, or the log's error wrapping ErrStepDown. A
// Gatherer's Sequencer does not commit on the way out: its changes'
// senders send them again to whoever sequences next.
func (s *Sequencer) Run(ctx context.Context, pace Pacer) error {
	defer close(s.done)
	defer close(s.out)
	if pace == nil {
		pace = fixedPace(s.cfg.Tick)
	}
	bits := *s.col.Published()
	s.out <- Committed{Seq: s.seq.Load(), Toggles: s.toggles, Grid: &bits}
	t := time.NewTimer(pace.Period())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if s.gather != nil {
				return nil
			}
			_ = s.tick() // what players set before the end, or the refused Delta once more
			if s.cfg.CheckpointOnStop && s.writable.Load() {
				s.checkpoint()
			}
			return nil
		case <-t.C:
			// The next tick is a period from this one's start, not from the
			// end of its append: an fsync does not stretch the cadence (the
			// tick loop before the one Sequencer overlapped them).
			t.Reset(pace.Period())
			if pace.Behind() {
				s.m.Drops.WithLabelValues("tick_merged").Inc()
			} else if err := s.tick(); err != nil {
				return err
			}
		}
	}
}

// tick commits what flipped since the last Delta (or the Delta the log
// refused last time), and writes a checkpoint when the log wants one. Its
// error wraps ErrStepDown.
func (s *Sequencer) tick() error {
	if s.pending == nil {
		if s.beforeCut != nil {
			s.beforeCut()
		}
		start := time.Now()
		if s.gather != nil {
			if err := s.gather.Gather(s.setBox); err != nil {
				return err
			}
		}
		c, ok := s.collect()
		if !ok {
			if s.gather != nil {
				s.gather.Settle()
			}
			s.sync()
			return nil
		}
		s.m.TickSeconds.Observe(time.Since(start).Seconds())
		s.pending = &c
	}
	if ok, err := s.append(s.pending); !ok {
		return err // nil: the same seq and frame again next tick (Sets are refused meanwhile), or rebased
	}
	c := *s.pending
	s.pending = nil
	s.toggles = c.Toggles
	s.out <- c
	s.seq.Store(c.Seq)
	if s.log != nil && s.log.WantCheckpoint() {
		s.checkpoint()
	}
	return nil
}

// collect takes the boxes flipped since the last tick and encodes them as
// the next Delta. ok is false when nothing changed.
func (s *Sequencer) collect() (c Committed, ok bool) {
	s.collects.Add(1)
	defer s.collected.Add(1)
	s.scratch = s.col.Collect(s.scratch[:0])
	if len(s.scratch) == 0 {
		return Committed{}, false
	}
	seq := s.seq.Load() + 1
	frame, err := protocol.AppendDelta(make([]byte, 0, protocol.DeltaHeaderSize+len(s.scratch)*2+8), seq, s.scratch)
	if err != nil {
		// The collector only yields sorted in-range boxes; this is a bug.
		s.logger.Error("encode delta", "err", err)
		s.col.Requeue(s.scratch)
		return Committed{}, false
	}
	s.encoded.Store(seq)
	return Committed{Seq: seq, Toggles: s.grid.Toggles(), Frame: frame, Boxes: slices.Clone(s.scratch)}, true
}

// append makes c durable; false means the log refused it: err is then
// the log's step-down, or nil (append again later, or rebased).
func (s *Sequencer) append(c *Committed) (bool, error) {
	if s.log == nil {
		return true, nil
	}
	t0 := time.Now()
	err := s.log.Append(c.Seq, c.Toggles, c.Frame)
	s.lastAppend = time.Now()
	s.m.FsyncSeconds.Observe(s.lastAppend.Sub(t0).Seconds())
	var moved *Rebase
	switch {
	case err == nil:
	case errors.Is(err, ErrStepDown):
		return false, err
	case errors.As(err, &moved) && s.gather != nil:
		s.rebase(moved)
		return false, nil
	default:
		s.m.StorageFails.Inc()
		if s.writable.Swap(false) {
			s.logger.Error("storage failing: refusing changes until the log works again", "seq", c.Seq, "err", err)
		}
		return false, nil
	}
	if !s.writable.Swap(true) {
		s.logger.Info("storage recovered", "seq", c.Seq)
	}
	return true, nil
}

// rebase goes on from the log's state r: a new grid at r.Seq holding what
// was set here and not committed (the refused Delta's boxes and what was
// set since), and a reset on the feed, so that a follower of it stays
// exact.
func (s *Sequencer) rebase(r *Rebase) {
	boxes := s.scratch[:0]
	if s.pending != nil {
		boxes = append(boxes, s.pending.Boxes...)
		s.pending = nil
	}
	boxes = s.col.Collect(boxes)
	changes := make([]protocol.Change, 0, len(boxes))
	for _, i := range boxes {
		changes = append(changes, protocol.Change{Index: i, Value: s.grid.Get(i)})
	}
	s.scratch = boxes[:0]
	s.grid = grid.FromBitset(r.Grid, r.Toggles)
	s.col = grid.NewCollector(s.grid)
	for _, c := range changes {
		s.grid.Set(c.Index, c.Value)
	}
	s.toggles = r.Toggles
	s.seq.Store(r.Seq)
	s.encoded.Store(r.Seq)
	bits := *s.col.Published()
	s.out <- Committed{Seq: r.Seq, Toggles: r.Toggles, Grid: &bits}
	s.logger.Warn("sequencer: the log moved; rebased", "seq", r.Seq, "kept", len(changes))
}

// sync makes an interval-mode log durable on a tick with nothing to
// commit, once a tick has passed since the last append.
func (s *Sequencer) sync() {
	if s.log == nil || time.Since(s.lastAppend) < s.cfg.Tick {
		return
	}
	if err := s.log.Sync(); err != nil {
		s.m.StorageFails.Inc()
		s.logger.Error("log sync", "err", err)
	}
}

func (s *Sequencer) checkpoint() {
	if s.log == nil {
		return
	}
	seq := s.seq.Load()
	if err := s.log.Checkpoint(s.epoch, seq, s.toggles, s.col.Published()); err != nil {
		s.m.Checkpoints.WithLabelValues("error").Inc()
		s.logger.Error("checkpoint", "seq", seq, "err", err)
		return
	}
	s.m.Checkpoints.WithLabelValues("ok").Inc()
}

// fixedPace ticks every period and is never behind.
type fixedPace time.Duration

func (p fixedPace) Period() time.Duration { return time.Duration(p) }
func (fixedPace) Behind() bool            { return false }

// Feed, Writable, Submit and Online make a Sequencer the hub's upstream.

// Feed yields the committed steps: a reset to the recovered grid, then
// every Delta in seq order. It is closed when Run returns.
func (s *Sequencer) Feed() <-chan Committed { return s.out }

// Writable reports whether changes can be committed now: false while the
// log refuses appends.
func (s *Sequencer) Writable() bool { return s.writable.Load() }

// Submit sets changes on the live grid and says how many flipped a box.
// It never blocks and always takes them: each is in the next Delta that
// sticks, so lost is never called.
func (s *Sequencer) Submit(changes []protocol.Change, _ func([]protocol.Change)) (toggled int, ok bool) {
	for _, ch := range changes {
		if s.grid.Set(ch.Index, ch.Value) {
			toggled++
		}
	}
	s.m.Toggles.Add(float64(toggled))
	return toggled, true
}

// Online is the player count: this process's own.
func (s *Sequencer) Online(local int64) int64 { return local }

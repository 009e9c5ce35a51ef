package hub

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/grid"
	"checkgrid/server/limits"
	"checkgrid/server/metrics"
	"checkgrid/server/wsframe"

	"github.com/prometheus/client_golang/prometheus"
)

// ErrStopped is returned by calls that need the tick loop after it ended.
var ErrStopped = errors.New("hub: stopped")

// Hub owns the broadcast set and the tick loop. Its methods are safe for
// concurrent use; the fields marked "loop" belong to Run's goroutine.
type Hub struct {
	cfg     Config
	log     Log // nil: nothing is persisted (benchmarks)
	grid    *grid.Grid
	m       *metrics.Metrics
	logger  *slog.Logger
	epoch   uint64
	welcome []byte // wire frame, encoded once, shared by every connection

	// sentFrames holds the frames_sent counter per frame type, resolved
	// once: a label lookup per write is measurable at 100k+ writes/s.
	sentFrames [256]prometheus.Counter

	players *limits.Buckets[string]
	addrs   *limits.Buckets[netip.Prefix]

	join    chan *Client
	leave   chan *Client
	resync  chan resyncReq
	snapReq chan chan SnapshotInfo
	done    chan struct{} // closed when Run returns

	clients sync.WaitGroup // connections being served, for shutdown

	// tickWake is closed (and replaced) once per broadcast: every writer
	// waits on it rather than on its own outbox, so queueing a frame for
	// 10,000 clients readies no goroutine and one close readies them all
	// after the loop's work is done. Waking each writer per send let the
	// runtime preempt the loop mid-broadcast and park it behind thousands
	// of runnable writers.
	tickWake atomic.Pointer[chan struct{}]
	// pingWake works the same way every Config.PingEvery: one shared
	// timer instead of a ticker per connection (400 B each at 10,000).
	pingWake atomic.Pointer[chan struct{}]

	// Published by the loop for other goroutines.
	storageOK atomic.Bool
	seq       atomic.Uint64
	checked   atomic.Int64
	online    atomic.Int64

	// loop
	col       *grid.Collector
	set       map[*Client]struct{} // receiving Deltas
	lagging   map[*Client]time.Time
	members   int // clients joined and not left
	scratch   []uint32
	frame     []byte
	snap      SnapshotInfo
	snapWire  []byte // snap.Frame as a wire frame
	lastStats protocol.Stats
	lastSent  time.Time
	// durableToggles is the toggle count logged with the last Delta.
	durableToggles uint64
}

type resyncReq struct {
	c      *Client
	reason protocol.ResyncReason
}

// SnapshotInfo is an encoded Snapshot frame and what it is of. Frame is
// shared and must not be modified.
type SnapshotInfo struct {
	Frame []byte
	Epoch uint64
	Seq   uint64
}

// New returns a hub serving g, whose state is durable in lg up to seq, in
// history epoch. lg may be nil for a server that persists nothing.
func New(cfg Config, g *grid.Grid, lg Log, epoch, seq uint64, m *metrics.Metrics, logger *slog.Logger) *Hub {
	cfg = cfg.withDefaults()
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	h := &Hub{
		cfg: cfg, log: lg, grid: g, m: m, logger: logger, epoch: epoch,
		players: limits.NewBuckets[string](cfg.PlayerRate),
		addrs:   limits.NewBuckets[netip.Prefix](cfg.AddressRate),
		join:    make(chan *Client, 1024),
		leave:   make(chan *Client, 1024),
		resync:  make(chan resyncReq, 1024),
		snapReq: make(chan chan SnapshotInfo),
		done:    make(chan struct{}),
		col:     grid.NewCollector(g),
		set:     make(map[*Client]struct{}),
		lagging: make(map[*Client]time.Time),
	}
	h.welcome = wsframe.Wrap(protocol.AppendWelcome(nil, protocol.Welcome{
		Version: protocol.Version1, Width: protocol.GridWidth, Height: protocol.GridHeight,
		Epoch: epoch, MaxSetBoxes: uint16(cfg.MaxSetBoxes),
		SetRate: uint16(min(cfg.PlayerRate.Per, 65535)), SetBurst: uint16(min(cfg.PlayerRate.Burst, 65535)),
		MaxMessage: protocol.MaxClientMessage,
	}))
	unknown := m.FramesSent.WithLabelValues("unknown")
	for t := range h.sentFrames {
		h.sentFrames[t] = unknown
		if ft := protocol.FrameType(t); ft.Known() {
			h.sentFrames[t] = m.FramesSent.WithLabelValues(ft.String())
		}
	}
	h.storageOK.Store(true)
	first, firstPing := make(chan struct{}), make(chan struct{})
	h.tickWake.Store(&first)
	h.pingWake.Store(&firstPing)
	h.durableToggles = g.Toggles()
	h.seq.Store(seq)
	h.checked.Store(int64(h.col.Checked()))
	m.Seq.Set(float64(seq))
	m.Checked.Set(float64(h.col.Checked()))
	return h
}

// Run is the tick loop. It returns when ctx ends, after flushing the last
// changes to the log, writing a checkpoint if configured, and asking every
// connection to close with CloseGoingAway.
func (h *Hub) Run(ctx context.Context) error {
	defer close(h.done)
	tick := time.NewTimer(h.cfg.Tick)
	defer tick.Stop()
	sweep := time.NewTicker(time.Minute)
	defer sweep.Stop()
	ping := time.NewTicker(h.cfg.PingEvery)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return h.stop()
		case now := <-tick.C:
			h.tick(now)
			tick.Reset(h.period())
		case c := <-h.join:
			h.members++
			h.online.Store(int64(h.members))
			h.sendSnapshot(c, 0)
		case c := <-h.leave:
			h.members--
			h.online.Store(int64(h.members))
			delete(h.set, c)
			delete(h.lagging, c)
			c.left = true
		case r := <-h.resync:
			h.handleResync(r)
		case reply := <-h.snapReq:
			reply <- h.snapshot()
		case <-ping.C:
			next := make(chan struct{})
			close(*h.pingWake.Swap(&next))
		case now := <-sweep.C:
			h.players.Sweep(now.Add(-time.Minute))
			h.addrs.Sweep(now.Add(-time.Minute))
		}
	}
}

// period is the time to the next tick: Config.Tick, stretched up to
// Config.MaxTick when the connected clients times the tick rate would
// exceed Config.WriteBudget socket writes a second. Past that point the
// machine's writes, not the tick, bound latency, and a longer tick puts more
// changes in each write.
func (h *Hub) period() time.Duration {
	need := time.Duration(float64(h.members) / h.cfg.WriteBudget * float64(time.Second))
	return min(max(h.cfg.Tick, need), max(h.cfg.MaxTick, h.cfg.Tick))
}

// statsPeriod is Config.StatsEvery, stretched so that Stats frames use at
// most statsShare of the write budget: at 10,000 clients, one Stats a
// second per client would be 10,000 writes a second for counters nobody
// reads that closely.
func (h *Hub) statsPeriod() time.Duration {
	need := time.Duration(float64(h.members) / (statsShare * h.cfg.WriteBudget) * float64(time.Second))
	return max(h.cfg.StatsEvery, need)
}

// statsShare is the fraction of the write budget Stats frames may use.
const statsShare = 0.02

// tick publishes what changed, if anything, and does the periodic chores.
func (h *Hub) tick(now time.Time) {
	start := time.Now()
	h.scratch = h.col.Collect(h.scratch[:0])
	if len(h.scratch) > 0 {
		h.publish()
		h.m.TickSeconds.Observe(time.Since(start).Seconds())
	} else if h.log != nil {
		if err := h.log.Sync(); err != nil {
			h.m.StorageFails.Inc()
			h.logger.Error("log sync", "err", err)
		}
	}
	for c, since := range h.lagging {
		if now.Sub(since) > h.cfg.WriteTimeout {
			delete(h.lagging, c)
			c.kill(protocol.CloseTooSlow, "writer stalled", h.cfg.WriteTimeout)
			h.m.Drops.WithLabelValues("stalled").Inc()
		}
	}
	if h.log != nil && h.storageOK.Load() && h.log.WantCheckpoint() {
		h.checkpoint()
	}
	if now.Sub(h.lastSent) >= h.statsPeriod() {
		h.sendStats(now)
	}
}

// publish makes the collected flips durable as Delta seq+1 and sends it.
func (h *Hub) publish() {
	seq := h.seq.Load() + 1
	var err error
	h.frame, err = protocol.AppendDelta(h.frame[:0], seq, h.scratch)
	if err != nil {
		// The collector only yields sorted in-range boxes; this is a bug.
		h.logger.Error("encode delta", "err", err)
		h.col.Requeue(h.scratch)
		return
	}
	toggles := h.grid.Toggles()
	if h.log != nil {
		t0 := time.Now()
		err = h.log.Append(seq, toggles, h.frame)
		h.m.FsyncSeconds.Observe(time.Since(t0).Seconds())
		if err != nil {
			h.m.StorageFails.Inc()
			if h.storageOK.Swap(false) {
				h.logger.Error("storage failing: refusing changes until the log works again", "seq", seq, "err", err)
			}
			h.col.Requeue(h.scratch)
			return
		}
		if !h.storageOK.Swap(true) {
			h.logger.Info("storage recovered", "seq", seq)
		}
	}
	h.seq.Store(seq)
	h.durableToggles = toggles
	h.checked.Store(int64(h.col.Checked()))
	h.m.Seq.Set(float64(seq))
	h.m.Checked.Set(float64(h.col.Checked()))
	h.m.Ticks.Inc()
	h.m.DeltaBoxes.Observe(float64(len(h.scratch)))
	// The encode buffer is reused; the wire frame is handed to the clients.
	h.broadcast(wsframe.Wrap(h.frame), "delta")
}

// broadcast queues frame for every client in the set, never blocking. A
// client whose outbox is full leaves the set and is resynced once drained.
func (h *Hub) broadcast(frame []byte, kind string) {
	now := time.Now()
	for c := range h.set {
		select {
		case c.out <- frame:
		default:
			delete(h.set, c)
			h.lagging[c] = now
			h.m.Drops.WithLabelValues("outbox_full_" + kind).Inc()
			c.markLagging()
		}
	}
	next := make(chan struct{})
	close(*h.tickWake.Swap(&next))
}

// sendSnapshot queues Welcome (for a new client, reason 0) or Resync, then
// the current Snapshot, and adds c to the broadcast set.
func (h *Hub) sendSnapshot(c *Client, reason protocol.ResyncReason) {
	if c.left {
		return
	}
	h.snapshot() // brings h.snapWire up to the current seq
	first := h.welcome
	if reason != 0 {
		first = wsframe.Wrap(protocol.AppendResync(nil, protocol.Resync{Reason: reason}))
		h.m.Resyncs.WithLabelValues(reason.String()).Inc()
	}
	for _, f := range [][]byte{first, h.snapWire} {
		select {
		case c.out <- f:
		default:
			h.m.Drops.WithLabelValues("outbox_full_snapshot").Inc()
			c.kill(protocol.CloseTooSlow, "outbox full at snapshot", h.cfg.WriteTimeout)
			return
		}
	}
	c.nudge()
	h.set[c] = struct{}{}
}

// handleResync serves a resync a client's writer (after lagging) or reader
// (ResyncRequest) asked for.
func (h *Hub) handleResync(r resyncReq) {
	c := r.c
	if c.left {
		return
	}
	if r.reason == protocol.ResyncRequested {
		if _, ok := h.set[c]; !ok {
			return // lagging: a resync is on its way anyway
		}
	}
	now := time.Now()
	c.resyncs = append(c.resyncs, now)
	for len(c.resyncs) > 0 && now.Sub(c.resyncs[0]) > h.cfg.ResyncWindow {
		c.resyncs = c.resyncs[1:]
	}
	if len(c.resyncs) > h.cfg.MaxResyncs {
		delete(h.set, c)
		delete(h.lagging, c)
		code := protocol.CloseTooSlow
		if r.reason == protocol.ResyncRequested {
			code = protocol.CloseAbuse
		}
		c.kill(code, "too many resyncs", h.cfg.WriteTimeout)
		return
	}
	delete(h.set, c)
	delete(h.lagging, c)
	h.sendSnapshot(c, r.reason)
}

// snapshot returns the Snapshot frame of the published state, encoding it
// at most once per seq.
func (h *Hub) snapshot() SnapshotInfo {
	seq := h.seq.Load()
	if h.snap.Frame == nil || h.snap.Seq != seq {
		h.snap = SnapshotInfo{Frame: protocol.AppendSnapshot(nil, h.epoch, seq, h.col.Published()), Epoch: h.epoch, Seq: seq}
		h.snapWire = wsframe.Wrap(h.snap.Frame)
	}
	return h.snap
}

func (h *Hub) sendStats(now time.Time) {
	s := protocol.Stats{Checked: uint32(h.col.Checked()), Online: uint32(h.members), Toggles: h.grid.Toggles()}
	if s == h.lastStats {
		return
	}
	h.lastStats, h.lastSent = s, now
	h.broadcast(wsframe.Wrap(protocol.AppendStats(nil, s)), "stats")
}

func (h *Hub) checkpoint() {
	err := h.log.Checkpoint(h.epoch, h.seq.Load(), h.lastDurableToggles(), h.col.Published())
	if err != nil {
		h.m.Checkpoints.WithLabelValues("error").Inc()
		h.logger.Error("checkpoint", "seq", h.seq.Load(), "err", err)
		return
	}
	h.m.Checkpoints.WithLabelValues("ok").Inc()
}

// lastDurableToggles is the toggle count logged with the published state;
// the grid's live count may already include changes not yet collected.
func (h *Hub) lastDurableToggles() uint64 { return h.durableToggles }

func (h *Hub) stop() error {
	h.tick(time.Now()) // flush what players already set
	if h.log != nil && h.cfg.CheckpointOnStop && h.storageOK.Load() {
		h.checkpoint()
	}
	for c := range h.set {
		c.kill(protocol.CloseGoingAway, "server shutting down", h.cfg.WriteTimeout)
	}
	for c := range h.lagging {
		c.kill(protocol.CloseGoingAway, "server shutting down", h.cfg.WriteTimeout)
	}
	// Clients still in the join queue get the same.
	for {
		select {
		case c := <-h.join:
			c.kill(protocol.CloseGoingAway, "server shutting down", h.cfg.WriteTimeout)
		default:
			return nil
		}
	}
}

// Snapshot returns the current Snapshot frame, for the HTTP API.
func (h *Hub) Snapshot(ctx context.Context) (SnapshotInfo, error) {
	reply := make(chan SnapshotInfo, 1)
	select {
	case h.snapReq <- reply:
		return <-reply, nil
	case <-h.done:
		return SnapshotInfo{}, ErrStopped
	case <-ctx.Done():
		return SnapshotInfo{}, ctx.Err()
	}
}

// Stats is what /api/stats reports.
type Stats struct {
	Checked   int64  `json:"checked"`
	Online    int64  `json:"online"`
	Toggles   uint64 `json:"toggles"`
	Seq       uint64 `json:"seq"`
	Epoch     uint64 `json:"epoch,string"`
	StorageOK bool   `json:"storage_ok"`
}

// Stats returns the counters as last published by the loop.
func (h *Hub) Stats() Stats {
	return Stats{Checked: h.checked.Load(), Online: h.online.Load(), Toggles: h.grid.Toggles(),
		Seq: h.seq.Load(), Epoch: h.epoch, StorageOK: h.storageOK.Load()}
}

// Wait blocks until every connection handed to Go has ended.
func (h *Hub) Wait() { h.clients.Wait() }

// sent counts a wire frame written to a client.
func (h *Hub) sent(f []byte) {
	h.sentFrames[wsframe.Type(f)].Inc()
	h.m.BytesSent.Add(float64(len(f)))
}

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
	"checkgrid/server/limits"
	"checkgrid/server/metrics"
	"checkgrid/server/pipeline"
	"checkgrid/server/wsframe"

	"github.com/prometheus/client_golang/prometheus"
)

// ErrStopped is returned by calls that need the publisher after it ended.
var ErrStopped = errors.New("hub: stopped")

// Hub follows the committed history (its Upstream's feed) and owns every
// connection. Its methods are safe for concurrent use; fields marked
// "publisher" belong to Run's goroutine.
type Hub struct {
	cfg     Config
	up      Upstream
	m       *metrics.Metrics
	logger  *slog.Logger
	epoch   uint64
	welcome []byte // wire frame, encoded once, shared by every connection

	// sentFrames holds the frames_sent counter per frame type, resolved
	// once: a label lookup per write is measurable at 100k+ writes/s.
	sentFrames [256]prometheus.Counter
	// recvFrames and recvControls hold the frames_received counter per
	// client frame type and control kind, resolved once for the same
	// reason: every click counts one.
	recvFrames   [256]prometheus.Counter
	recvControls [ControlPong + 1]prometheus.Counter
	pingFrame    []byte

	players *limits.Buckets[string]
	addrs   *limits.Buckets[netip.Prefix]

	join    chan *Client
	leave   chan *Client
	resync  chan resyncReq
	snapReq chan chan SnapshotInfo
	ready   chan struct{} // closed when the first reset is applied
	done    chan struct{} // closed when Run returns

	senders []*sender
	// inflight counts broadcasts queued to senders and not yet written
	// out: the sequencer merges ticks while the fan-out is behind
	// (Behind), instead of queueing Deltas behind it (which would only add
	// latency).
	inflight atomic.Int64
	clients  sync.WaitGroup // connections being served (readers), for shutdown
	flushers sync.WaitGroup // flushers and close handshakes under way

	// Published for other goroutines.
	storageOK atomic.Bool
	seq       atomic.Uint64 // committed and published
	checked   atomic.Int64
	toggles   atomic.Uint64 // as of seq
	online    atomic.Int64
	// Bots' connections and flipped boxes, counted apart (lane.go).
	bots       atomic.Int64
	botToggles atomic.Uint64

	// publisher
	shown         protocol.Replica // the grid at seq: what every client is shown
	started       bool             // the first reset arrived
	all           map[*Client]struct{}
	nextShard     int
	snap          SnapshotInfo
	snapWire      []byte
	lastStats     protocol.Stats // last sent to the broadcast set
	lastSent      time.Time
	lastAreaStats protocol.Stats // last sent to version-2 clients outside it
	lastAreaSent  time.Time
	lastCommit    time.Time
	riders        riders // Stats and pings waiting for the next broadcast
	pace          pacer  // version 3: DeltaRanges for passive players (pace.go)

	// areas is version-2 delivery: areas and presence (viewport.go).
	areas areaHub
	// ann is version 3's operator announcement (announce.go).
	ann announcer
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

// New returns a hub that follows up's committed history of epoch (which
// names it in Welcome and Snapshot) and sends its players' changes to up.
// It serves nobody a grid before up's first step, a reset.
func New(cfg Config, up Upstream, epoch uint64, m *metrics.Metrics, logger *slog.Logger) *Hub {
	cfg = cfg.withDefaults()
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	h := &Hub{
		cfg: cfg, up: up, m: m, logger: logger, epoch: epoch,
		players:   limits.NewBuckets[string](cfg.PlayerRate),
		addrs:     limits.NewBuckets[netip.Prefix](cfg.AddressRate),
		join:      make(chan *Client, 1024),
		leave:     make(chan *Client, 1024),
		resync:    make(chan resyncReq, 1024),
		snapReq:   make(chan chan SnapshotInfo),
		ready:     make(chan struct{}),
		done:      make(chan struct{}),
		all:       make(map[*Client]struct{}),
		pingFrame: wsframe.AppendPing(nil, nil),
		ann:       newAnnouncer(),
	}
	h.pace.init(cfg.PaceTicks)
	h.riders.paced = make([]pacedRiders, cfg.PaceTicks)
	welcome := protocol.Welcome{
		Version: protocol.Version1, Width: protocol.GridWidth, Height: protocol.GridHeight,
		Epoch: epoch, MaxSetBoxes: uint16(cfg.MaxSetBoxes),
		SetRate: uint16(min(cfg.PlayerRate.Per, 65535)), SetBurst: uint16(min(cfg.PlayerRate.Burst, 65535)),
		MaxMessage: protocol.MaxClientMessage,
	}
	h.welcome = wsframe.Wrap(protocol.AppendWelcome(nil, welcome))
	h.newAreas(welcome)
	unknown := m.FramesSent.WithLabelValues("unknown")
	for t := range h.sentFrames {
		h.sentFrames[t] = unknown
		if ft := protocol.FrameType(t); ft.Known() {
			h.sentFrames[t] = m.FramesSent.WithLabelValues(ft.String())
		}
	}
	h.sentFrames[0] = m.FramesSent.WithLabelValues("control")
	for t := range h.recvFrames {
		if ft := protocol.FrameType(t); ft.Known() {
			h.recvFrames[t] = m.FramesRecv.WithLabelValues(ft.String())
		}
	}
	for _, k := range []Control{ControlPing, ControlPong} {
		h.recvControls[k] = m.FramesRecv.WithLabelValues(k.String())
	}
	for range cfg.Senders {
		h.senders = append(h.senders, &sender{cmds: make(chan command, senderQueue), paced: make([][]*Client, cfg.PaceTicks)})
	}
	return h
}

// Run is the publisher loop: it follows the upstream's feed, handing each
// committed Delta to the senders, and serves joins, resyncs and snapshots
// meanwhile. It starts the senders and returns when ctx ends, after
// publishing what the feed already holds (the upstream's last Delta,
// when it stopped first) and closing every connection with CloseGoingAway
// once what is queued for it is delivered.
func (h *Hub) Run(ctx context.Context) error {
	defer close(h.done)
	var bg sync.WaitGroup
	for _, s := range h.senders {
		bg.Add(1)
		go func() {
			defer bg.Done()
			s.run(h)
		}()
	}
	defer func() {
		for _, s := range h.senders {
			close(s.cmds)
		}
		bg.Wait()
		h.closeAll()
	}()
	feed := h.up.Feed()
	// Nobody is served a grid before the first reset: a join waits for it
	// (in the join queue) rather than getting an empty grid and a Resync.
	for !h.started {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-feed:
			if !ok {
				<-ctx.Done()
				return nil
			}
			h.follow(ev)
		}
	}
	close(h.ready)
	h.loop(ctx, feed)
	return nil
}

// Ready is closed once the hub holds the grid (its upstream's first
// reset): from then on Stats, Snapshot and writability are the
// upstream's.
func (h *Hub) Ready() <-chan struct{} { return h.ready }

// loop is Run's select until ctx ends.
func (h *Hub) loop(ctx context.Context, feed <-chan pipeline.Committed) {
	// The sweep ends stalled and silent clients and sends Stats: once a
	// second, or often enough to honour a short WriteTimeout (tests).
	sweep := time.NewTicker(h.sweepEvery())
	defer sweep.Stop()
	ping := time.NewTicker(h.cfg.PingEvery)
	defer ping.Stop()
	idle := time.NewTicker(h.cfg.Tick)
	defer idle.Stop()
	forget := time.NewTicker(time.Minute)
	defer forget.Stop()
	for {
		select {
		case <-ctx.Done():
			h.drain(feed)
			return
		case ev, ok := <-feed:
			if !ok {
				feed = nil // the upstream stopped: nothing more to follow
				continue
			}
			h.follow(ev)
		case c := <-h.join:
			h.all[c] = struct{}{}
			h.joined(c)
			c.shard = h.senders[h.nextShard%len(h.senders)]
			h.nextShard++
			h.sendView(c, true, 0)
		case c := <-h.leave:
			if _, ok := h.all[c]; ok {
				delete(h.all, c)
				h.left(c)
				h.unpace(c)
				c.shard.cmds <- cmdRemove{c}
			}
			c.left = true
		case r := <-h.resync:
			h.handleResync(r)
		case c := <-h.areas.requests:
			h.takeViewport(c, time.Now())
		case a := <-h.ann.in:
			h.announce(a, time.Now())
		case c := <-h.pace.wakes:
			h.wake(c)
		case reply := <-h.snapReq:
			reply <- h.snapshot()
		case now := <-sweep.C:
			h.sweep(now)
			h.markPassive(now)
			h.sendStats(now)
		case now := <-ping.C:
			h.ping(now)
		case now := <-idle.C:
			h.closeQuietPhases(now)
			h.idle(now)
		case now := <-forget.C:
			h.players.Sweep(now.Add(-time.Minute))
			h.addrs.Sweep(now.Add(-time.Minute))
		}
	}
}

// drain publishes what the feed holds already: on shutdown, the upstream
// has stopped first and its last steps wait here (a feed that stays open
// has nothing more to give now).
func (h *Hub) drain(feed <-chan pipeline.Committed) {
	for {
		select {
		case ev, ok := <-feed:
			if !ok {
				return
			}
			h.follow(ev)
		default:
			return
		}
	}
}

// idle is the work of a tick with or without a Delta: riders that waited
// a tick, a share of a round of extras, Viewports due, writability.
func (h *Hub) idle(now time.Time) {
	h.flushRiders(now)
	if now.Sub(h.lastCommit) >= h.cfg.Tick {
		h.payExtras(h.riders.spread) // publish pays its share on a busy grid
	}
	h.applyViewports(now)
	h.followTick()
}

// Period is the time to the sequencer's next tick (pipeline.Pacer):
// Config.Tick, stretched up to Config.MaxTick when the connected clients
// times the tick rate would exceed Config.WriteBudget socket writes a
// second. Past that point the machine's writes, not the tick, bound
// latency, and a longer tick puts more changes in each write.
func (h *Hub) Period() time.Duration {
	need := time.Duration(float64(h.areas.writes.Load()) / h.cfg.WriteBudget * float64(time.Second))
	return min(max(h.cfg.Tick, need), max(h.cfg.MaxTick, h.cfg.Tick))
}

// statsPeriod is the period of version-2 Stats and Presence rounds:
// Config.StatsEvery, stretched with the connections so that they use at
// most statsShare of the write budget (at 10,000 clients, one a second per
// client would be 10,000 writes a second for counters nobody reads that
// closely). It counts every connection, not only the version-2 ones: that
// keeps a round as often as when BENCHMARKS.md measured a zoomed-in
// player's bytes, most of which are Presence.
func (h *Hub) statsPeriod() time.Duration {
	need := time.Duration(float64(h.areas.conns.Load()) / (statsShare * h.cfg.WriteBudget) * float64(time.Second))
	return max(h.cfg.StatsEvery, need)
}

// sweepEvery is the period of the sweep, which also starts the rounds of
// Stats: once a second, or often enough to honour a short WriteTimeout
// (tests).
func (h *Hub) sweepEvery() time.Duration { return min(time.Second, h.cfg.WriteTimeout/4) }

// statsDue reports whether a round of Stats last started at last may start
// at now, a sweep tick, for rounds every period. Ticks jitter by some
// microseconds around their schedule, so "a whole period since the last"
// skipped about every other tick at random (rounds 1 or 2 periods apart);
// half a sweep of slack starts a round on the first tick at or after the
// period instead.
func (h *Hub) statsDue(last, now time.Time, period time.Duration) bool {
	return now.Sub(last) >= period-h.sweepEvery()/2
}

// statsShare is the fraction of the write budget Stats frames may use.
const statsShare = 0.02

// sweep ends clients whose socket has not taken a byte for WriteTimeout
// (counted as stalled) and clients silent past the ping timeout.
func (h *Hub) sweep(now time.Time) {
	stall := now.Add(-h.cfg.WriteTimeout).UnixNano()
	silent := now.Add(-h.cfg.PingEvery - h.cfg.PingTimeout).UnixNano()
	for c := range h.all {
		if b := c.out.blockedSince(); b != 0 && b < stall && !c.isKilled() {
			h.kill(c, protocol.CloseTooSlow, "writer stalled")
			h.m.Drops.WithLabelValues("stalled").Inc()
			continue
		}
		if c.lastRead.Load() < silent && !c.isKilled() {
			h.kill(c, protocol.CloseIdle, "no pong")
		}
	}
}

// snapshot returns the Snapshot frame of the published state, encoding it
// at most once per seq.
func (h *Hub) snapshot() SnapshotInfo {
	seq := h.shown.Seq
	if h.snap.Frame == nil || h.snap.Seq != seq {
		h.snap = SnapshotInfo{Frame: protocol.AppendSnapshot(nil, h.epoch, seq, &h.shown.Grid), Epoch: h.epoch, Seq: seq}
		h.snapWire = wsframe.Wrap(h.snap.Frame)
	}
	return h.snap
}

// sendStats sends what is due: Stats to the broadcast set every
// StatsEvery when they changed, riding on the next Delta so they cost no
// write (ride.go); and, every statsPeriod, a round of Stats and Presence
// to the version-2 clients, which does cost them a write each.
func (h *Hub) sendStats(now time.Time) {
	s := protocol.Stats{Checked: uint32(h.checked.Load()), Online: uint32(h.up.Online(h.online.Load())), Toggles: h.toggles.Load()}
	var wire []byte
	if s != h.lastStats && h.statsDue(h.lastSent, now, h.cfg.StatsEvery) {
		wire = wsframe.Wrap(protocol.AppendStats(nil, s))
		h.ride(wire, now)
		h.lastStats, h.lastSent = s, now
	}
	if !h.statsDue(h.lastAreaSent, now, h.statsPeriod()) {
		return
	}
	var vw []byte
	if s != h.lastAreaStats {
		vw = wire
		if vw == nil {
			vw = wsframe.Wrap(protocol.AppendStats(nil, s))
		}
	}
	// Area clients get Stats, version-2 clients Presence (viewport.go).
	if presence := h.sendViewStats(vw); vw != nil || presence {
		h.lastAreaStats, h.lastAreaSent = s, now
	}
}

// closeAll ends every connection with CloseGoingAway, after the senders
// have queued everything: what is queued is durable and is delivered
// before the close. Clients still in the join queue get the same.
func (h *Hub) closeAll() {
	for c := range h.all {
		h.kill(c, protocol.CloseGoingAway, "server shutting down")
	}
	for {
		select {
		case c := <-h.join:
			h.kill(c, protocol.CloseGoingAway, "server shutting down")
		default:
			return
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
	Checked     int64  `json:"checked"`
	Online      int64  `json:"online"`      // players: connections of one identity count once
	Connections int64  `json:"connections"` // open connections on this server
	Toggles     uint64 `json:"toggles"`
	Bots        int64  `json:"bots"`        // open connections with a bot token (not in Online)
	BotToggles  uint64 `json:"bot_toggles"` // of Toggles, the boxes bots flipped (since start)
	Seq         uint64 `json:"seq"`
	Epoch       uint64 `json:"epoch,string"`
	StorageOK   bool   `json:"storage_ok"`
}

// Stats returns the counters as last published by the loop.
func (h *Hub) Stats() Stats {
	return Stats{Checked: h.checked.Load(), Online: h.up.Online(h.online.Load()), Connections: h.areas.conns.Load(), Toggles: h.toggles.Load(),
		Bots: h.bots.Load(), BotToggles: h.botToggles.Load(),
		Seq: h.seq.Load(), Epoch: h.epoch, StorageOK: h.storageOK.Load()}
}

// Wait blocks until Run has returned and every connection handed to Go
// has ended, its close handshake included. In that order: Run's shutdown
// and the readers start flushers and handshakes (flushers.Add), which must
// all have started before flushers.Wait.
func (h *Hub) Wait() {
	<-h.done
	h.clients.Wait()
	h.flushers.Wait()
}

// sent counts n copies of wire frame f queued or written to clients.
func (h *Hub) sent(f []byte, n int) {
	if n == 0 {
		return
	}
	h.sentFrames[wsframe.Type(f)].Add(float64(n))
	h.m.BytesSent.Add(float64(n * len(f)))
}

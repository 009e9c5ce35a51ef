package hub

import (
	"sync"
	"sync/atomic"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/limits"
	"checkgrid/server/wsframe"
	"checkgrid/server/zone"
)

// Version-2 delivery: a client subscribes to an area and gets only what
// happens inside it (PROTOCOL.md "Areas").
//
// A version-1 client, or a version-2 client whose area is the whole grid,
// is a member of its sender's broadcast set and gets the tick's shared
// Delta as before. A version-2 client with a smaller area is in the zone
// index instead (h.areas.zones, the publisher's): after each published
// Delta the index hands each client whose area holds some of the flips its
// AreaDelta, and the publisher passes them to the clients' senders as one
// cmdToEach per sender. Every frame for a client goes through its own
// sender's command queue, so a move (sendView's cmdToClient: leave the
// broadcast set, then the AreaSnapshot at seq S) is ordered against its
// other frames exactly like a join: the first AreaDelta after it follows S.
//
// A frame a sender cannot queue for an area client (its queue is full)
// marks the client lagging: the sender drops its later area frames, the
// publisher takes it out of the index at its next tick, and the flusher's
// resync (once the queue drained) sends Resync and a fresh AreaSnapshot.

// Admission is what a connection asked for in its URL: the protocol version and
// the area to start with (the zero Area means the whole grid).
type Admission struct {
	Version uint8
	Area    protocol.Area
	// Lane is a bot token's quota (lane.go); nil for a player.
	Lane Lane
}

// Viewport policy, announced in Welcome or stated in PROTOCOL.md.
const (
	// DefaultViewportInterval is the least time between two area changes
	// applied for one client: a pan at 5 changes a second keeps a screen of
	// margin ahead, faster Viewports coalesce to the latest.
	DefaultViewportInterval = 200 * time.Millisecond
	// DefaultAreaBudgetRate and DefaultAreaBudgetBurst bound the area
	// snapshots one client can cause, in boxes: a full grid's worth at
	// once, 100,000 a second sustained (12.5 KB/s raw at most), several
	// times what a player panning a zoomed-in screen needs.
	DefaultAreaBudgetRate  = 100_000
	DefaultAreaBudgetBurst = protocol.Boxes
	// PresenceCell is the side of a presence cell in boxes: 25×25 cells,
	// each wider than a zoomed-in screen, so a count never pins a player to
	// what they see.
	PresenceCell = 40
)

// areaSub is a connection's version-2 state.
type areaSub struct {
	version uint8

	mu      sync.Mutex
	want    protocol.Area // latest Viewport, guarded by mu
	pending bool          // want not yet seen by the publisher, guarded by mu

	// lagging is set by the client's sender when it could not queue an
	// area frame, and cleared by it when it sends a new area snapshot.
	lagging atomic.Bool

	// publisher
	area      protocol.Area // served area; WholeGrid for version 1
	lastApply time.Time
	budget    limits.Bucket // area snapshots, in boxes; made at the first move
}

// areaHub is the hub's version-2 state; all of it belongs to the publisher
// but requests (readers send) and writes (the sequencer reads, Period).
type areaHub struct {
	requests chan *Client                 // readers: a Viewport is waiting in Client.view.want
	welcome  [protocol.Version + 1][]byte // Welcome wire frames of versions 2 and up
	zones    *zone.Index[*Client]
	pending  map[*Client]struct{} // Viewports not applied yet (throttle, budget)
	players  map[string]int       // open connections per player key
	presence []byte               // last Presence wire frame sent
	conns    atomic.Int64         // open connections, for /api/stats
	writes   atomic.Int64         // socket writes the last tick cost, for period
	scratch  []uint32
	to       map[*sender][]addressed // this tick's frames per sender
}

// addressed is one frame for one client.
type addressed struct {
	c     *Client
	frame []byte
}

func (h *Hub) newAreas(welcome protocol.Welcome) {
	z, err := zone.New[*Client](PresenceCell)
	if err != nil {
		panic(err) // PresenceCell is a valid constant
	}
	cfg := h.cfg
	welcome.AddrRate = uint16(min(cfg.AddressRate.Per, 65535))
	welcome.AddrBurst = uint16(min(cfg.AddressRate.Burst, 65535))
	welcome.MaxConnsPerAddr = uint16(min(cfg.MaxConnsPerAddr, 65535))
	welcome.ViewportInterval = uint16(min(cfg.ViewportInterval/time.Millisecond, 65535))
	h.areas = areaHub{
		requests: make(chan *Client, 1024),
		zones:    z,
		pending:  make(map[*Client]struct{}),
		players:  make(map[string]int),
		to:       make(map[*sender][]addressed),
	}
	for v := protocol.Version2; v <= protocol.Version; v++ {
		welcome.Version = uint8(v)
		h.areas.welcome[v] = wsframe.Wrap(protocol.AppendWelcome(nil, welcome))
	}
}

// initArea sets up c's version-2 state from what it asked for.
func (c *Client) initArea(v Admission) {
	c.sub.version = max(v.Version, protocol.Version1)
	c.sub.area = protocol.WholeGrid
	if c.sub.version >= protocol.Version2 && v.Area.W != 0 {
		c.sub.area = zone.Widen(v.Area)
	}
}

// joined and left keep the player count of Stats (players, not
// connections: PROTOCOL.md, Stats).
func (h *Hub) joined(c *Client) {
	if c.lane == nil { // bots are counted apart (lane.go)
		h.areas.players[c.player]++
	}
	h.online.Store(int64(len(h.areas.players)))
	h.areas.conns.Store(int64(len(h.all)))
}

func (h *Hub) left(c *Client) {
	if c.lane == nil { // bots are counted apart (lane.go)
		if h.areas.players[c.player]--; h.areas.players[c.player] <= 0 {
			delete(h.areas.players, c.player)
		}
	}
	h.online.Store(int64(len(h.areas.players)))
	h.areas.conns.Store(int64(len(h.all)))
	h.areas.zones.Unsubscribe(c)
	delete(h.areas.pending, c)
}

// viewport is the reader's side of a Viewport frame: remember the latest
// and make sure the publisher looks at it once. It blocks only while the
// publisher's queue is full, which slows down this client's reads alone.
func (h *Hub) viewport(c *Client, v protocol.Viewport) {
	if c.sub.version < protocol.Version2 {
		return // version 1: validated and ignored
	}
	c.sub.mu.Lock()
	c.sub.want = v.Area
	tell := !c.sub.pending
	c.sub.pending = true
	c.sub.mu.Unlock()
	if !tell {
		return // coalesced into the one already waiting
	}
	select {
	case h.areas.requests <- c:
	case <-c.killed:
	case <-h.done:
	}
}

// takeViewport moves c's latest Viewport into the pending set and applies
// what it can now.
func (h *Hub) takeViewport(c *Client, now time.Time) {
	if c.left {
		return
	}
	h.areas.pending[c] = struct{}{}
	h.applyViewports(now)
}

// applyViewports applies each pending Viewport whose client's interval has
// passed and whose snapshot fits its budget; the others wait for a later
// call (each commit and each idle tick).
func (h *Hub) applyViewports(now time.Time) {
	for c := range h.areas.pending {
		if c.left {
			delete(h.areas.pending, c)
			continue
		}
		if now.Sub(c.sub.lastApply) < h.cfg.ViewportInterval || c.sub.lagging.Load() {
			continue // a lagging client's resync will serve the latest area
		}
		c.sub.mu.Lock()
		want := zone.Widen(c.sub.want)
		c.sub.mu.Unlock()
		if want == c.sub.area {
			h.clearPending(c)
			continue
		}
		if c.sub.budget.IsZero() {
			c.sub.budget = limits.NewBucket(h.cfg.AreaBudget)
		}
		if !c.sub.budget.Allow(want.Boxes(), now) {
			h.m.Drops.WithLabelValues("viewport_deferred").Inc()
			continue
		}
		h.clearPending(c)
		c.sub.lastApply = now
		c.sub.area = want
		h.sendView(c, false, 0)
	}
}

func (h *Hub) clearPending(c *Client) {
	delete(h.areas.pending, c)
	c.sub.mu.Lock()
	c.sub.pending = false
	c.sub.mu.Unlock()
}

// publishAreas hands seq's AreaDeltas to the indexed clients' senders
// (after the broadcast of the same Delta; the two reach disjoint clients).
func (h *Hub) publishAreas(seq uint64, flips []uint32) {
	sent := h.areas.zones.Tick(seq, flips, func(c *Client, wire []byte) bool {
		if c.sub.lagging.Load() {
			return false // out of the index until its resync
		}
		h.areas.to[c.shard] = append(h.areas.to[c.shard], addressed{c, wire})
		return true
	})
	h.flushPairs("outbox_full_area_delta", false, time.Now())
	h.areas.writes.Store(int64(len(h.all)-h.areas.zones.Len()) + int64(sent))
	h.applyViewports(time.Now())
}

// flushTo sends the frames gathered in h.view.to, one command per sender.
func (h *Hub) flushTo(drop string) { h.flushPairs(drop, false, time.Time{}) }

// flushPairs is flushTo; counted says the caller counted the frames, a
// non-zero at times the senders' writes of them (AreaFanoutSeconds).
func (h *Hub) flushPairs(drop string, counted bool, at time.Time) {
	for s, pairs := range h.areas.to {
		if len(pairs) > 0 {
			s.cmds <- cmdToEach{pairs: pairs, drop: drop, counted: counted, at: at}
		}
		delete(h.areas.to, s)
	}
}

// sendViewStats starts a round (ride.go) sending stats (a wire frame, or
// nil if unchanged) to the indexed clients, and the presence map, when it
// changed, to every version-2 client, each client's as one write; the
// broadcast set gets stats from sendStats. It reports whether the presence
// map changed.
func (h *Hub) sendViewStats(stats []byte) bool {
	f, changed := h.areas.zones.Presence()
	var pw []byte
	if changed {
		pw = wsframe.Wrap(f)
		h.areas.presence = pw
	}
	if stats == nil && pw == nil {
		return false
	}
	h.startExtras(newExtras(stats, pw), newExtras(pw))
	return pw != nil
}

// pingAreas pings the indexed clients, which the broadcast pings miss.
func (h *Hub) pingAreas() {
	h.areas.zones.Each(func(c *Client) {
		h.areas.to[c.shard] = append(h.areas.to[c.shard], addressed{c, h.pingFrame})
	})
	h.flushTo("outbox_full_ping")
}

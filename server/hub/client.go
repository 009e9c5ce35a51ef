package hub

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/limits"
)

// Client is one connection's state, shared between its reader, the sender
// that owns its broadcast membership, its flusher (while its socket is
// full) and the publisher loop. Frames queued for it are shared between
// clients and never modified.
//
// Memory: an idle client holds no goroutine of its own besides its reader,
// no buffers (its outbox queues only while the socket is full) and no
// timers.
type Client struct {
	hub    *Hub
	conn   Socket
	player string       // rate-limit key: signed player ID or per-connection ID
	lane   Lane         // a bot's own quota (lane.go); nil for a player
	addr   netip.Prefix // address key for per-address limits
	shard  *sender      // owns this client's place in the broadcast set

	// out is the write side: the queue behind a full socket, its flusher
	// and the close handshake (outbox.go).
	out outbox

	// lastRead is when the client last sent anything, a pong included
	// (unix ns); the sweep ends a client silent past the ping timeout.
	lastRead atomic.Int64

	killOnce  sync.Once
	killed    chan struct{}      // closed by kill
	dead      atomic.Bool        // set by kill before killed is closed: isKilled's, without reaching into the channel
	closeCode protocol.CloseCode // set by kill before killed is closed

	// reader: its goroutine, or its Socket's poller while it is parked
	rejectRun int                     // consecutive Set frames refused entirely
	msgs      limits.Bucket           // message budget (Config.MessageRate, budget.go)
	changes   []protocol.Change       // scratch space for a Set's changes (handle)
	lost      func([]protocol.Change) // refuseLost for this client, made at its first Set (apply)

	// sender (shard) only
	member membership // which of shard's sets holds it, at index slot
	slot   int
	phase  int // with member inPaced: which paced set (pace.go)

	// pace is its pacing state (pace.go); pacedFlag says whether the
	// publisher has moved it to the paced set (the reader reads it).
	pace      paceClient
	pacedFlag atomic.Bool

	sub areaSub // version 2: the subscribed area (viewport.go)

	// publisher only
	left    bool
	resyncs []time.Time
}

func (h *Hub) newClient(conn Socket, player string, addr netip.Prefix) *Client {
	c := &Client{hub: h, conn: conn, player: player, addr: addr, killed: make(chan struct{}), msgs: limits.NewBucket(h.cfg.MessageRate)}
	c.out.init(conn, h.cfg.OutboxFrames, c)
	c.lastRead.Store(time.Now().UnixNano())
	c.pace.lastActive.Store(time.Now().UnixNano()) // a player who just came is looking
	return c
}

// spawn runs f as a flusher or close handshake of c's outbox, counted for
// Wait.
func (c *Client) spawn(f func()) {
	c.hub.flushers.Add(1)
	go func() {
		defer c.hub.flushers.Done()
		f()
	}()
}

// lagged asks the publisher for a resync once c's outbox, which
// overflowed, has drained.
func (c *Client) lagged() { c.hub.requestResync(c, protocol.ResyncLagging) }

// isKilled reports whether kill was called. It reads a flag in the
// Client rather than the channel's state, a separate object: every
// message a client sends asks, and the look into the channel was a cache
// miss each time (BENCHMARKS.md, "Sockets out of Go's poller").
func (c *Client) isKilled() bool { return c.dead.Load() }

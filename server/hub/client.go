package hub

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"checkgrid/protocol"
)

// Client is one connection's state, shared between its reader, the sender
// that owns its broadcast membership, its flusher (while its socket is
// full) and the publisher loop. Frames queued for it are shared between
// clients and never modified.
//
// Memory: an idle client holds no goroutine of its own besides its reader,
// no buffers (queue is nil unless the socket is full) and no timers.
type Client struct {
	conn   Conn
	player string       // rate-limit key: signed player ID or per-connection ID
	addr   netip.Prefix // address key for per-address limits
	shard  *sender      // owns this client's place in the broadcast set

	// Write state (send.go), guarded by mu.
	mu         sync.Mutex
	queue      [][]byte // frames not yet fully written; queue[0][off:] goes next
	off        int
	flushing   bool // a flusher goroutine is parked in WriteAll for queue[0]
	closing    bool // killed: no more frames are taken; the close follows the queue
	dead       bool // the socket is gone: drop everything
	needResync bool // the queue overflowed: resync once it has drained

	// blockedSince is when the socket filled up (unix ns), 0 while it
	// takes writes; the publisher's sweep ends a client stuck too long.
	blockedSince atomic.Int64
	// lastRead is when the client last sent anything, a pong included
	// (unix ns); the sweep ends a client silent past the ping timeout.
	lastRead atomic.Int64

	killOnce  sync.Once
	killed    chan struct{} // closed by kill
	closeCode protocol.CloseCode
	closeWhy  string

	// reader
	rejectRun int       // consecutive Set frames refused entirely
	msgTokens float64   // message budget (Config.MessageRate), refilled by time
	msgAt     time.Time // when msgTokens was last refilled

	// sender (shard) only
	member bool // in shard.members at index slot
	slot   int

	view viewClient // version 2: the subscribed area (viewport.go)

	// publisher only
	left    bool
	resyncs []time.Time
}

func newClient(conn Conn, player string, addr netip.Prefix) *Client {
	c := &Client{conn: conn, player: player, addr: addr, killed: make(chan struct{})}
	c.lastRead.Store(time.Now().UnixNano())
	return c
}

// isKilled reports whether kill was called.
func (c *Client) isKilled() bool {
	select {
	case <-c.killed:
		return true
	default:
		return false
	}
}

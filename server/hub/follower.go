package hub

import (
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"

	"checkgrid/protocol"
	"checkgrid/server/grid"
	"checkgrid/server/metrics"
)

// errFeedOrder means a follower's upstream sent a Delta whose frame seq is
// not the step's.
var errFeedOrder = errors.New("hub: committed step out of order")

// Committed is one step of the history a follower hub is fed: a Delta frame
// exactly as it was committed (Frame, whose seq is Seq), or a reset (Frame
// nil) to the whole grid at Seq. Toggles is the cluster-wide toggle count
// at Seq. Frame and Grid are handed over: the sender must not modify them
// after the send.
type Committed struct {
	Seq     uint64
	Toggles uint64
	Frame   []byte
	Grid    *protocol.Bitset
}

// Upstream is where a follower hub gets committed history and sends its
// players' changes (server/cluster implements it). Its methods are called
// from many goroutines.
type Upstream interface {
	// Feed yields committed history in seq order: each Delta's Seq is one
	// more than the previous event's. The first event must be a reset.
	Feed() <-chan Committed
	// Writable reports whether changes can be committed now; while it is
	// false, Sets are refused with RejectStorage.
	Writable() bool
	// Submit takes changes that passed the edge's limits, to be committed
	// (idempotent set semantics: a retry is harmless). It never blocks and
	// does not keep changes; false means they were not taken. Taken
	// changes end in a committed Delta or, if they cannot be committed in
	// the upstream's bound, in one call of lost with them (from another
	// goroutine), after which they are never committed.
	Submit(changes []protocol.Change, lost func([]protocol.Change)) bool
	// Online is the cluster-wide number of players, given this node's.
	Online(local int64) int64
}

// NewFollower returns a hub that does not collect or log anything itself:
// its publisher applies the committed history from up to the grid at seq
// and sends each Delta's exact bytes to its players, and its players' Sets
// go to up.Submit. epoch names the shared history (Welcome, Snapshot).
// Run, Go, Snapshot and Stats behave as for New.
func NewFollower(cfg Config, up Upstream, epoch uint64, m *metrics.Metrics, logger *slog.Logger) *Hub {
	h := New(cfg, grid.New(), nil, epoch, 0, m, logger)
	h.up = up
	h.fol = new(follower)
	h.storageOK.Store(false) // nothing can commit until the first reset arrives
	return h
}

// follower is a follower hub's state besides h.durable.
type follower struct {
	started bool          // the first reset arrived
	toggles atomic.Uint64 // the cluster's, as of h.seq; read by Stats
}

// follow applies one committed step and sends it on, on the publisher's
// goroutine, exactly as a Delta of its own would be (publish).
func (h *Hub) follow(ev Committed) {
	f := h.fol
	if ev.Frame == nil {
		h.durable.Reset(h.epoch, ev.Seq, ev.Grid)
		checked := int64(h.durable.Grid.Count())
		f.started = true
		f.toggles.Store(ev.Toggles)
		h.seq.Store(ev.Seq)
		h.checked.Store(checked)
		h.m.Seq.Set(float64(ev.Seq))
		h.m.Checked.Set(float64(checked))
		// Every view sent so far is of an older position: start each
		// client over from this grid.
		for c := range h.all {
			h.sendView(c, false, protocol.ResyncStorage)
		}
		h.logger.Info("replica reset", "seq", ev.Seq, "checked", checked)
		h.followTick()
		return
	}
	d, err := protocol.DecodeDelta(ev.Frame)
	switch {
	case err != nil:
	case !f.started:
		err = fmt.Errorf("%w: delta %d before any snapshot", protocol.ErrGap, ev.Seq)
	case d.Seq != ev.Seq:
		err = fmt.Errorf("%w: frame of seq %d as step %d", errFeedOrder, d.Seq, ev.Seq)
	case d.Seq != h.durable.Seq+1:
		err = fmt.Errorf("%w: have %d, got %d", protocol.ErrGap, h.durable.Seq, d.Seq)
	}
	var boxes []uint32
	if err == nil {
		// A fresh slice, as the ticker's: publish may hand it on.
		boxes, err = d.AppendIndexes(make([]uint32, 0, d.Count))
	}
	if err != nil {
		// Upstream broke its contract: apply nothing and say so loudly; the
		// grid stays at its last good seq.
		h.logger.Error("feed: bad committed step", "seq", ev.Seq, "have", h.durable.Seq, "err", err)
		h.m.BadFrames.WithLabelValues("feed").Inc()
		return
	}
	f.toggles.Store(ev.Toggles)
	h.publish(delta{seq: ev.Seq, toggles: ev.Toggles, frame: ev.Frame, boxes: boxes})
}

// followTick keeps storageOK in step with the upstream.
func (h *Hub) followTick() {
	ok := h.fol.started && h.up.Writable()
	if was := h.storageOK.Swap(ok); was != ok {
		if ok {
			h.logger.Info("cluster writable: accepting changes", "seq", h.seq.Load())
		} else {
			h.logger.Warn("cluster not writable: refusing changes", "seq", h.seq.Load())
		}
	}
}

func (h *Hub) togglesNow() uint64 {
	if h.fol != nil {
		return h.fol.toggles.Load()
	}
	return h.grid.Toggles()
}

func (h *Hub) onlineNow() int64 {
	if h.up != nil {
		return h.up.Online(h.online.Load())
	}
	return h.online.Load()
}

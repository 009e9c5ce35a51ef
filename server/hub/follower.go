package hub

import (
	"errors"
	"fmt"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/pipeline"
	"checkgrid/server/wsframe"
)

// errFeedOrder means the upstream sent a step whose frame does not match
// it (another seq, another count of boxes).
var errFeedOrder = errors.New("hub: committed step out of order")

// Upstream is where the hub gets the committed history and sends its
// players' changes: the process's own pipeline.Sequencer, or a cluster
// node (server/cluster) following its lease holder's. Its methods are
// called from many goroutines.
type Upstream interface {
	// Feed yields committed history in seq order: each Delta's Seq is one
	// more than the previous step's. The first step must be a reset. A
	// feed may be closed when its upstream stops.
	Feed() <-chan pipeline.Committed
	// Writable reports whether changes can be committed now; while it is
	// false, Sets are refused with RejectStorage.
	Writable() bool
	// Submit takes changes that passed the edge's limits, to be committed
	// (idempotent set semantics: a retry is harmless). It never blocks and
	// does not keep changes; ok false means they were not taken. Taken
	// changes end in a committed Delta or, if they cannot be committed in
	// the upstream's bound, in one call of lost with them (from another
	// goroutine), after which they are never committed. toggled is how
	// many of them flipped a box, when the upstream knows it at once (its
	// own live grid; a cluster node: how many differ from its committed
	// grid), else 0.
	Submit(changes []protocol.Change, lost func([]protocol.Change)) (toggled int, ok bool)
	// Online is the number of players everywhere, given this hub's.
	Online(local int64) int64
}

// follow applies one committed step to the grid at seq and sends it on,
// on the publisher's goroutine.
func (h *Hub) follow(ev pipeline.Committed) {
	if ev.Frame == nil {
		h.reset(ev)
		return
	}
	d, err := protocol.DecodeDelta(ev.Frame) // the header only: the boxes come with the step
	switch {
	case err != nil:
	case !h.started:
		err = fmt.Errorf("%w: delta %d before any snapshot", protocol.ErrGap, ev.Seq)
	case d.Seq != ev.Seq:
		err = fmt.Errorf("%w: frame of seq %d as step %d", errFeedOrder, d.Seq, ev.Seq)
	case d.Seq != h.shown.Seq+1:
		err = fmt.Errorf("%w: have %d, got %d", protocol.ErrGap, h.shown.Seq, d.Seq)
	case d.Count != len(ev.Boxes):
		err = fmt.Errorf("%w: a frame of %d boxes with %d", errFeedOrder, d.Count, len(ev.Boxes))
	}
	if err != nil {
		// Upstream broke its contract: apply nothing and say so loudly; the
		// grid stays at its last good seq.
		h.logger.Error("feed: bad committed step", "seq", ev.Seq, "have", h.shown.Seq, "err", err)
		h.m.BadFrames.WithLabelValues("feed").Inc()
		return
	}
	h.publish(ev)
}

// reset makes the grid at seq the step's whole grid and starts every
// client over from it: every view sent so far is of an older position.
func (h *Hub) reset(ev pipeline.Committed) {
	first := !h.started
	h.shown.Reset(h.epoch, ev.Seq, ev.Grid)
	h.pace.restart(ev.Seq) // every client below is shown the grid from scratch, unpaced
	checked := int64(h.shown.Grid.Count())
	h.started = true
	h.toggles.Store(ev.Toggles)
	h.seq.Store(ev.Seq)
	h.checked.Store(checked)
	h.m.Seq.Set(float64(ev.Seq))
	h.m.Checked.Set(float64(checked))
	for c := range h.all {
		h.sendView(c, false, protocol.ResyncStorage)
	}
	if !first {
		h.logger.Info("replica reset", "seq", ev.Seq, "checked", checked)
	}
	h.followTick()
}

// publish applies a committed Delta to the grid at seq and sends it.
func (h *Hub) publish(ev pipeline.Committed) {
	checked := h.checked.Load()
	for _, i := range ev.Boxes {
		if h.shown.Grid.Flip(i) {
			checked++
		} else {
			checked--
		}
	}
	h.shown.Seq = ev.Seq
	h.toggles.Store(ev.Toggles)
	h.seq.Store(ev.Seq)
	h.checked.Store(checked)
	h.lastCommit = time.Now()
	h.m.Seq.Set(float64(ev.Seq))
	h.m.Checked.Set(float64(checked))
	h.m.Ticks.Inc()
	h.m.DeltaBoxes.Observe(float64(len(ev.Boxes)))
	// Before the Delta goes out: a player who sees it finds /healthz and
	// the Set path already as writable as the upstream that committed it.
	h.followTick()
	h.broadcastDelta(wsframe.Wrap(ev.Frame), ev.Seq, ev.Boxes) // one copy per tick, shared by every client, Stats riding on it
	h.publishAreas(ev.Seq, ev.Boxes)                           // version 2: only to the areas it touches
	h.payExtras(h.riders.spread)                               // version 2: a share of a round of Stats/Presence
}

// followTick keeps storageOK in step with the upstream.
func (h *Hub) followTick() {
	ok := h.started && h.up.Writable()
	if was := h.storageOK.Swap(ok); was != ok {
		if ok {
			h.logger.Info("writable: accepting changes", "seq", h.seq.Load())
		} else {
			h.logger.Warn("not writable: refusing changes", "seq", h.seq.Load())
		}
	}
}

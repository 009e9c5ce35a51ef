package hub

import (
	"context"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/wsframe"
)

// The tick loop and the commit pipeline.
//
//	ticker:     collect ─► encode Delta N ─► commits (bounded) ─► collect N+1 …
//	publisher:               Log.Append N (fsync) ─► apply to the grid at seq
//	                         ─► wrap once ─► senders
//
// The ticker never waits for the disk or for the fan-out: while Delta N is
// being made durable and written, it collects and encodes N+1. If the
// commit queue is full (the disk is slower than the tick) or the senders
// are still writing out more than one earlier broadcast, it skips that
// tick: the changes stay in the grid's dirty summary and go in the next,
// larger Delta, so a slow fsync or a slow fan-out costs batching, not
// Deltas queued behind it (which would only add latency).

// delta is an encoded Delta on its way to the log and the players.
type delta struct {
	seq     uint64
	toggles uint64
	frame   []byte   // the Delta frame (not yet wrapped)
	boxes   []uint32 // the flipped boxes, strictly increasing
}

// ticks runs the tick loop until ctx ends, then collects once more (what
// players set before the shutdown), and closes h.commits.
func (h *Hub) ticks(ctx context.Context) {
	defer close(h.commits)
	t := time.NewTimer(h.period())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if d, ok := h.collect(); ok {
				h.commits <- d // the publisher drains commits until closed
			}
			return
		case <-t.C:
			if len(h.commits) < cap(h.commits) && !h.fanoutBehind() {
				start := time.Now()
				if d, ok := h.collect(); ok {
					h.commits <- d
					h.m.TickSeconds.Observe(time.Since(start).Seconds())
				}
			} else {
				h.m.Drops.WithLabelValues("tick_merged").Inc()
			}
			t.Reset(h.period())
		}
	}
}

// collect takes the boxes flipped since the last tick and encodes them as
// the next Delta. ok is false when nothing changed.
func (h *Hub) collect() (delta, bool) {
	h.collects.Add(1)
	defer h.collected.Add(1)
	h.scratch = h.col.Collect(h.scratch[:0])
	if len(h.scratch) == 0 {
		return delta{}, false
	}
	frame, err := protocol.AppendDelta(make([]byte, 0, protocol.DeltaHeaderSize+len(h.scratch)*2+8), h.nextSeq, h.scratch)
	if err != nil {
		// The collector only yields sorted in-range boxes; this is a bug.
		h.logger.Error("encode delta", "err", err)
		h.col.Requeue(h.scratch)
		return delta{}, false
	}
	d := delta{seq: h.nextSeq, toggles: h.grid.Toggles(), frame: frame, boxes: append([]uint32(nil), h.scratch...)}
	h.nextSeq++
	h.encoded.Store(d.seq)
	return d, true
}

// commit makes d durable and, once it is, publishes it. If the log refuses
// it, d is kept and retried before anything else (Log's contract: the same
// seq again), Sets are refused with RejectStorage meanwhile, and the tick
// loop stops encoding once the commit queue is full.
func (h *Hub) commit(d delta) {
	if h.log != nil {
		t0 := time.Now()
		err := h.log.Append(d.seq, d.toggles, d.frame)
		h.m.FsyncSeconds.Observe(time.Since(t0).Seconds())
		h.lastCommit = time.Now()
		if err != nil {
			h.m.StorageFails.Inc()
			if h.storageOK.Swap(false) {
				h.logger.Error("storage failing: refusing changes until the log works again", "seq", d.seq, "err", err)
			}
			h.pending = &d
			return
		}
		if !h.storageOK.Swap(true) {
			h.logger.Info("storage recovered", "seq", d.seq)
		}
	}
	h.publish(d)
	if h.log != nil && h.storageOK.Load() && h.log.WantCheckpoint() {
		h.checkpoint()
	}
}

// publish applies a durable Delta to the grid at seq and sends it.
func (h *Hub) publish(d delta) {
	checked := h.checked.Load()
	for _, i := range d.boxes {
		if h.durable.Grid.Flip(i) {
			checked++
		} else {
			checked--
		}
	}
	h.durable.Seq = d.seq
	h.durableToggles = d.toggles
	h.seq.Store(d.seq)
	h.checked.Store(checked)
	h.m.Seq.Set(float64(d.seq))
	h.m.Checked.Set(float64(checked))
	h.m.Ticks.Inc()
	h.m.DeltaBoxes.Observe(float64(len(d.boxes)))
	h.broadcastDelta(wsframe.Wrap(d.frame), d.seq, d.boxes) // one copy per tick, shared by every client, Stats riding on it
	h.publishAreas(d.seq, d.boxes)                          // version 2: only to the areas it touches
	h.payExtras(h.riders.spread)                            // version 2: a share of a round of Stats/Presence
}

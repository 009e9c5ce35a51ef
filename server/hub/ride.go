package hub

import "time"

// Riders: frames every client gets that carry no change of the grid
// (Stats, pings) do not cost a write of their own.
//
// On loopback and on a real network alike, what a frame costs the server
// is mostly the write(2) that carries it, not its bytes. A Stats broadcast
// to 6,000 clients is 6,000 more writes in one burst, and the tick that
// follows waits behind it in the senders' queues: that burst, once a
// period, was the p99 of toggle-to-seen. So Stats and pings for the
// broadcast set ride on the next Delta's write (one buffer: the Delta, then
// them), and go out alone only if no Delta comes within a tick (an idle
// grid).
//
// Version-2 clients outside the broadcast set get Stats and Presence as
// one buffer per client, and a round of those is spread over the next
// extrasSpread ticks rather than written in one burst.

// extrasSpread is the number of ticks a round of version-2 Stats/Presence
// frames is spread over: at 10 Hz half a second, well inside the Stats
// period (≥ 1 s), so a round ends before the next one starts.
const extrasSpread = 5

// riders holds what waits for the next broadcast. Publisher-owned.
type riders struct {
	frames [][]byte  // wire frames, in the order they were queued
	since  time.Time // when the first of them was queued
	// paced: the same for each phase's paced set (pace.go), which they
	// reach on its next DeltaRange or alone once they have waited
	// Config.PaceTicks ticks.
	paced []pacedRiders

	// A round of version-2 extras: each client in owed gets area's frames
	// (if it follows an area) or whole's (if it follows the whole grid),
	// as one write, spread clients a tick.
	owed        []*Client
	area, whole extras
	spread      int
}

// pacedRiders are the frames waiting for one phase's next DeltaRange.
type pacedRiders struct {
	frames [][]byte
	since  time.Time
}

// extras is one buffer of frames for one kind of client.
type extras struct {
	wire  []byte   // the frames joined
	parts [][]byte // each frame, for counting
}

func newExtras(frames ...[]byte) extras {
	var e extras
	for _, f := range frames {
		if f != nil {
			e.parts = append(e.parts, f)
		}
	}
	if len(e.parts) > 0 {
		e.wire = joinFrames(e.parts)
	}
	return e
}

// ride queues f to go out with the next broadcast.
func (h *Hub) ride(f []byte, now time.Time) {
	if len(h.riders.frames) == 0 {
		h.riders.since = now
	}
	h.riders.frames = append(h.riders.frames, f)
	for d := range h.riders.paced {
		if h.pace.phases[d].members == 0 {
			continue // a client joining it gets f as a member of the broadcast set
		}
		q := &h.riders.paced[d]
		if len(q.frames) == 0 {
			q.since = now
		}
		q.frames = append(q.frames, f)
	}
}

// broadcastDelta sends a Delta's wire frame to the broadcast set, with
// the frames riding on it, and the DeltaRange of the phase it is due for
// (pace.go) to that phase's paced set, with theirs.
func (h *Hub) broadcastDelta(wire []byte, seq uint64, boxes []uint32) {
	parts := h.take(&h.riders.frames, wire)
	cmd := cmdBroadcast{frame: joinOne(parts), parts: parts, drop: "outbox_full_delta"}
	due, paced := h.addDelta(seq, boxes, time.Now())
	if paced != nil {
		cmd.phase = due
		cmd.pacedParts = h.take(&h.riders.paced[due].frames, paced)
		cmd.paced = joinOne(cmd.pacedParts)
	}
	h.broadcastCmd(cmd)
	h.settlePassive(due)
}

// broadcastPaced sends a DeltaRange that closes phase d's group on a
// quiet grid to its paced set alone, with what waits to ride on it.
func (h *Hub) broadcastPaced(d int, frame []byte) {
	parts := h.take(&h.riders.paced[d].frames, frame)
	h.broadcastCmd(cmdBroadcast{phase: d, paced: joinOne(parts), pacedParts: parts, drop: "outbox_full_delta"})
}

// take returns first and the frames waiting in *q, emptying it: the parts
// of one write (nil parts: first alone).
func (h *Hub) take(q *[][]byte, first []byte) [][]byte {
	if len(*q) == 0 {
		return [][]byte{first}
	}
	parts := append([][]byte{first}, *q...)
	*q = (*q)[:0]
	return parts
}

// joinOne is joinFrames without a copy for one frame.
func joinOne(parts [][]byte) []byte {
	if len(parts) == 1 {
		return parts[0]
	}
	return joinFrames(parts)
}

// flushRiders sends the riders alone once they have waited for a frame
// that did not come: a tick for the broadcast set, Config.PaceTicks ticks
// for each phase's paced set.
func (h *Hub) flushRiders(now time.Time) {
	r := &h.riders
	if len(r.frames) > 0 && now.Sub(r.since) >= h.cfg.Tick {
		parts := append([][]byte(nil), r.frames...)
		r.frames = r.frames[:0]
		h.broadcastCmd(cmdBroadcast{frame: joinFrames(parts), parts: parts, drop: "outbox_full_stats"})
	}
	for d := range r.paced {
		q := &r.paced[d]
		if len(q.frames) == 0 || now.Sub(q.since) < h.cfg.Tick*time.Duration(h.cfg.PaceTicks) {
			continue
		}
		parts := append([][]byte(nil), q.frames...)
		q.frames = q.frames[:0]
		h.broadcastCmd(cmdBroadcast{phase: d, paced: joinFrames(parts), pacedParts: parts, drop: "outbox_full_stats"})
	}
}

// startExtras begins a round of version-2 extras, finishing the previous
// round first so each round's Presence reaches every client.
func (h *Hub) startExtras(area, whole extras) {
	h.payExtras(len(h.riders.owed))
	r := &h.riders
	r.owed = r.owed[:0]
	for c := range h.all {
		if c.sub.version >= 2 {
			r.owed = append(r.owed, c)
		}
	}
	r.area, r.whole = area, whole
	r.spread = (len(r.owed) + extrasSpread - 1) / extrasSpread
}

// payExtras sends up to n owed clients their extras, one cmdToEach per
// sender. They are counted here, as queued (the senders count only
// single frames).
func (h *Hub) payExtras(n int) {
	r := &h.riders
	if n <= 0 || len(r.owed) == 0 {
		return
	}
	for ; n > 0 && len(r.owed) > 0; n-- {
		c := r.owed[len(r.owed)-1]
		r.owed[len(r.owed)-1] = nil
		r.owed = r.owed[:len(r.owed)-1]
		if c.left {
			continue
		}
		e := &r.whole
		if _, indexed := h.areas.zones.Area(c); indexed {
			e = &r.area
		}
		if e.wire != nil {
			h.areas.to[c.shard] = append(h.areas.to[c.shard], addressed{c, e.wire})
			h.countFrames(nil, e.parts, 1)
		}
	}
	h.flushPairs("outbox_full_stats", true, time.Time{})
}

// joinFrames returns the frames as one buffer.
func joinFrames(frames [][]byte) []byte {
	n := 0
	for _, f := range frames {
		n += len(f)
	}
	b := make([]byte, 0, n)
	for _, f := range frames {
		b = append(b, f...)
	}
	return b
}

// countFrames counts n copies of each of parts (or of wire, when parts is
// nil) sent.
func (h *Hub) countFrames(wire []byte, parts [][]byte, n int) {
	if parts == nil {
		h.sent(wire, n)
		return
	}
	for _, p := range parts {
		h.sent(p, n)
	}
}

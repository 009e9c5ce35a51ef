package hub

import (
	"slices"
	"sync/atomic"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/wsframe"
)

// Pacing (PROTOCOL.md, "Pacing", version 3).
//
// A whole-grid player who has sent no Set and no Viewport for PassiveAfter
// is passive: instead of every Delta it gets one DeltaRange per PaceTicks
// Deltas, the net change of the group, encoded once and shared by every
// passive player. Most players watch, and a write per player per tick is
// most of the server's CPU; at the whole-grid zoom nobody sees 300 ms.
//
// Who owns what:
//
//	reader     marks c active (lastActive) on each Set or Viewport, and
//	           asks the publisher to wake c if it is passive (wakePending)
//	publisher  the pacer: the open group's net change, which clients are
//	           passive or about to be, the DeltaRange at each group's end
//	           (riding on that tick's broadcast), the catch-up frame of a
//	           client that wakes
//	sender     the paced set, beside the broadcast set: a paced member is
//	           written the broadcast's paced frame instead of its Delta
//
// A client goes passive only at a group's end, after the Delta that ends
// it, so it holds the seq the next DeltaRange starts from; it wakes at
// once, with a DeltaRange from the group's start to the published seq, and
// then follows every Delta. Both moves are commands in the sender's
// queue, ordered with the broadcasts like a join.

// Pacing defaults (Config.PaceTicks, Config.PassiveAfter). Three ticks is
// 300 ms at the default tick, under what an eye tells apart at the
// whole-grid zoom, and cuts a passive player's writes to a third
// (BENCHMARKS.md, "The one pipeline everywhere, pacing sweep": 2 ticks
// gives back half the saving, 5 adds 200 ms for little more). Five seconds without a click or a move is "watching".
const (
	PaceTicks    = 3
	PassiveAfter = 5 * time.Second
)

// paceClient is a client's pacing state.
type paceClient struct {
	// Written by the reader, read by the publisher's sweep.
	lastActive atomic.Int64 // unix ns of the last Set or Viewport (or the join)
	// wakePending: a wake is queued; the reader sets it, the publisher
	// clears it.
	wakePending atomic.Bool

	// Publisher only.
	passive bool // in its sender's paced set, or on its way there
	joining bool // goes passive at the end of the open group
}

// pacer is the publisher's pacing state.
type pacer struct {
	wakes chan *Client // from readers: a passive client became active

	// Publisher only.
	prev    uint64          // the seq every passive client holds: the open group's start
	seq     uint64          // the last seq added to the open group
	n       int             // Deltas in the open group
	opened  time.Time       // when its first Delta was published
	net     protocol.Bitset // boxes flipped an odd number of times in the group
	touched []uint32        // boxes flipped at least once in the group (may repeat)
	passive int             // clients passive or joining
	joining []*Client
	// catchUp caches the wake frame for seq (every client that wakes at
	// the same seq gets the same bytes).
	catchUp    []byte
	catchUpSeq uint64
}

func (p *pacer) init() { p.wakes = make(chan *Client, 1024) }

// active tells the pacer that c, a version-3 client, just sent a Set or a
// Viewport. Reader-side: it blocks only while the publisher's queue is
// full, which slows this client's reads alone.
func (h *Hub) active(c *Client) {
	if c.sub.version < protocol.Version3 {
		return
	}
	c.pace.lastActive.Store(time.Now().UnixNano())
	if !c.pacedFlag.Load() || c.pace.wakePending.Swap(true) {
		return
	}
	select {
	case h.pace.wakes <- c:
	case <-c.killed:
	}
}

// addDelta adds a published Delta's flips to the open group. It returns
// the group's DeltaRange wire frame when this Delta closes it (and nil
// otherwise, or when nobody is passive).
func (h *Hub) addDelta(seq uint64, boxes []uint32, now time.Time) []byte {
	p := &h.pace
	if p.passive == 0 {
		for _, i := range p.touched {
			p.net[i>>6] = 0
		}
		p.touched = p.touched[:0]
		p.prev, p.seq, p.n = seq, seq, 0
		return nil
	}
	if p.n == 0 {
		p.opened = now
	}
	for _, i := range boxes {
		p.net.Flip(i)
	}
	p.touched = append(p.touched, boxes...)
	p.seq = seq
	p.n++
	if p.n < h.cfg.PaceTicks {
		return nil
	}
	return h.closeGroup()
}

// closeGroupIfDue closes a group that has waited Config.PaceTicks tick periods
// for its last Delta (the grid went quiet): its DeltaRange goes out alone.
func (h *Hub) closeGroupIfDue(now time.Time) {
	p := &h.pace
	if p.n == 0 || now.Sub(p.opened) < time.Duration(h.cfg.PaceTicks)*h.cfg.Tick {
		return
	}
	h.broadcastPaced(h.closeGroup())
	h.settlePassive()
}

// closeGroup ends the open group and returns its DeltaRange wire frame.
// The caller broadcasts it and then calls settlePassive.
func (h *Hub) closeGroup() []byte {
	p := &h.pace
	frame := wsframe.Wrap(h.netFrame(p.seq))
	for _, i := range p.touched {
		p.net[i>>6] = 0
	}
	p.touched = p.touched[:0]
	p.prev, p.n = p.seq, 0
	return frame
}

// settlePassive moves the clients waiting for a group's end to the paced
// set, after the broadcast that ended the group: they hold its last seq,
// where the next DeltaRange starts.
func (h *Hub) settlePassive() {
	p := &h.pace
	for _, c := range p.joining {
		if !c.pace.joining || c.left {
			continue
		}
		c.pace.joining = false
		c.pacedFlag.Store(true)
		c.shard.cmds <- cmdPace{c: c, passive: true}
	}
	clear(p.joining)
	p.joining = p.joining[:0]
}

// netFrame is the DeltaRange from the group's start to seq (the open
// group's net change so far).
func (h *Hub) netFrame(seq uint64) []byte {
	p := &h.pace
	slices.Sort(p.touched)
	p.touched = slices.Compact(p.touched)
	flips := p.touched[:0:0]
	for _, i := range p.touched {
		if p.net.Get(i) {
			flips = append(flips, i)
		}
	}
	frame, err := protocol.AppendDeltaRange(nil, seq, p.prev, flips)
	if err != nil {
		panic(err) // seq > prev and sorted boxes inside the grid: a bug
	}
	return frame
}

// wake moves c, which became active, back to every Delta: it gets the
// open group's net change up to the published seq first.
func (h *Hub) wake(c *Client) {
	c.pace.wakePending.Store(false)
	c.pace.lastActive.Store(time.Now().UnixNano())
	if c.left {
		return
	}
	if c.pace.joining {
		c.pace.joining, c.pace.passive = false, false // not moved yet: it stays where it is
		h.pace.passive--
		return
	}
	if !c.pace.passive {
		return
	}
	c.pace.passive = false
	c.pacedFlag.Store(false)
	h.pace.passive--
	var frames [][]byte
	if p := &h.pace; p.seq > p.prev {
		if p.catchUp == nil || p.catchUpSeq != p.seq {
			p.catchUp, p.catchUpSeq = wsframe.Wrap(h.netFrame(p.seq)), p.seq
		}
		frames = append(frames, p.catchUp)
	}
	c.shard.cmds <- cmdPace{c: c, passive: false, frames: frames}
}

// markPassive, from the sweep, picks the whole-grid version-3 members idle
// for PassiveAfter; they go passive at the end of the next group.
func (h *Hub) markPassive(now time.Time) {
	idle := now.Add(-h.cfg.PassiveAfter).UnixNano()
	for c := range h.all {
		if c.sub.version < protocol.Version3 || c.pace.passive || c.pace.joining ||
			!c.sub.area.Whole() || c.sub.lagging.Load() || c.pace.lastActive.Load() > idle {
			continue
		}
		c.pace.joining, c.pace.passive = true, true
		h.pace.passive++
		h.pace.joining = append(h.pace.joining, c)
	}
}

// unpace forgets c's pacing: it left, or is shown the grid from scratch
// (a resync or an area change), after which it follows every Delta.
func (h *Hub) unpace(c *Client) {
	if c.pace.passive {
		h.pace.passive--
	}
	c.pace.passive, c.pace.joining = false, false
	c.pacedFlag.Store(false)
}

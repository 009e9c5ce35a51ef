package hub

import (
	"fmt"
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
// Deltas, the net change since the seq it holds. Most players watch, and a
// write per player per tick is most of the server's CPU; at the whole-grid
// zoom nobody sees 300 ms.
//
// Passive players are spread over PaceTicks phases, and each Delta is due
// for one of them (seq mod PaceTicks): that phase's players get the
// DeltaRange of the last PaceTicks Deltas, encoded once and shared. So a
// tick writes to a PaceTicks-th of the passive players, never to all of
// them at once: a burst of every passive player's write on one tick in
// three delayed the next tick's Delta to the active players behind it
// (BENCHMARKS.md, "Staggered pacing").
//
// Who owns what:
//
//	reader     marks c active (lastActive) on each Set or Viewport, and
//	           asks the publisher to wake c if it is passive (wakePending)
//	publisher  the pacer: the last PaceTicks Deltas, each phase's held seq,
//	           which clients are passive or about to be and in which
//	           phase, the DeltaRange of the phase each Delta is due for
//	           (riding on that tick's broadcast), the catch-up frame of a
//	           client that wakes
//	sender     the paced sets, one per phase, beside the broadcast set: a
//	           member of the due phase is written the broadcast's paced
//	           frame, the other paced members nothing
//
// A client goes passive when its phase is due, after the Delta that made
// it due, so it holds the phase's seq; it wakes at once, with a DeltaRange
// from its phase's seq to the published seq, and then follows every Delta.
// Both moves are commands in the sender's queue, ordered with the
// broadcasts like a join.

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
	joining bool // goes passive when its phase is next due
	phase   int  // its phase, while passive or joining
}

// pacer is the publisher's pacing state.
type pacer struct {
	wakes chan *Client // from readers: a passive client became active

	// Publisher only.
	recent  []recentDelta // the last PaceTicks Deltas, oldest first
	phases  []phase       // PaceTicks of them
	passive int           // clients passive or joining, in all phases
	joining []*Client     // may list a client that woke or left: settlePassive skips it
	scratch []uint32      // netFrame's
}

// recentDelta is one published Delta's flips, kept while a DeltaRange may
// still span it.
type recentDelta struct {
	seq   uint64
	boxes []uint32 // the pacer's copy: ring slots are reused
}

// phase is one share of the passive players: they all hold seq held.
type phase struct {
	held    uint64    // the seq its members hold (its next DeltaRange's prev)
	opened  time.Time // when the first Delta past held was published; zero: none
	members int       // clients in its paced sets, or on their way there
	joining int       // clients that join it when it is next due
	// catchUp caches the wake frame from catchUpFrom to catchUpSeq (every
	// member that wakes at the same seq gets the same bytes).
	catchUp                 []byte
	catchUpFrom, catchUpSeq uint64
}

func (p *pacer) init(ticks int) {
	p.wakes = make(chan *Client, 1024)
	p.phases = make([]phase, ticks)
}

// due is the phase Delta seq is due for.
func (p *pacer) due(seq uint64) int { return int(seq % uint64(len(p.phases))) }

// restart makes seq the seq every phase holds, with no Delta kept: after a
// reset every client is shown the grid from scratch (and unpaced).
func (p *pacer) restart(seq uint64) {
	p.recent = p.recent[:0]
	for i := range p.phases {
		p.phases[i].held, p.phases[i].opened, p.phases[i].catchUp = seq, time.Time{}, nil
	}
}

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

// addDelta keeps a published Delta's flips and returns the phase it is
// due for, with that phase's DeltaRange wire frame (nil when the phase
// has no passive member). The caller broadcasts it and then calls
// settlePassive(due).
func (h *Hub) addDelta(seq uint64, boxes []uint32, now time.Time) (due int, frame []byte) {
	p := &h.pace
	if len(p.recent) < len(p.phases) {
		p.recent = append(p.recent, recentDelta{})
	} else {
		oldest := p.recent[0]
		copy(p.recent, p.recent[1:])
		p.recent[len(p.recent)-1] = oldest // its buffer is reused
	}
	r := &p.recent[len(p.recent)-1]
	r.seq, r.boxes = seq, append(r.boxes[:0], boxes...)
	for i := range p.phases {
		if ph := &p.phases[i]; ph.opened.IsZero() {
			ph.opened = now
		}
	}
	due = p.due(seq)
	return due, h.closePhase(due, seq)
}

// closePhase ends phase d's open group at seq: it returns the DeltaRange
// from the seq its members hold to seq (nil if it has no member), and
// they hold seq from then on.
func (h *Hub) closePhase(d int, seq uint64) []byte {
	ph := &h.pace.phases[d]
	var frame []byte
	if ph.members > 0 {
		frame = wsframe.Wrap(h.netFrame(ph.held, seq))
	}
	ph.held, ph.opened = seq, time.Time{}
	return frame
}

// closeQuietPhases closes each phase whose open group has waited
// Config.PaceTicks tick periods since its first Delta (the grid went
// quiet): its DeltaRange goes out alone. A phase with nothing open takes
// its joining clients now: they hold the published seq as it does.
func (h *Hub) closeQuietPhases(now time.Time) {
	wait := time.Duration(h.cfg.PaceTicks) * h.cfg.Tick
	for d := range h.pace.phases {
		ph := &h.pace.phases[d]
		if ph.opened.IsZero() {
			if ph.held == h.shown.Seq {
				h.settlePassive(d)
			}
			continue
		}
		if now.Sub(ph.opened) < wait {
			continue
		}
		if frame := h.closePhase(d, h.shown.Seq); frame != nil {
			h.broadcastPaced(d, frame)
		}
		h.settlePassive(d)
	}
}

// settlePassive moves the clients joining phase d to its paced set, after
// the broadcast that closed its group: they got every Delta up to the
// seq it now holds.
func (h *Hub) settlePassive(d int) {
	p := &h.pace
	kept := p.joining[:0]
	for _, c := range p.joining {
		if !c.pace.joining || c.left {
			continue // woke or left meanwhile (or listed twice): nothing to move
		}
		if c.pace.phase != d {
			kept = append(kept, c)
			continue
		}
		c.pace.joining = false
		p.phases[d].joining--
		p.phases[d].members++
		c.pacedFlag.Store(true)
		c.shard.cmds <- cmdPace{c: c, passive: true, phase: d}
	}
	clear(p.joining[len(kept):])
	p.joining = kept
}

// netFrame is the DeltaRange from prev to seq: the boxes flipped an odd
// number of times by the kept Deltas after prev up to seq.
func (h *Hub) netFrame(prev, seq uint64) []byte {
	p := &h.pace
	flips, spanned := p.scratch[:0], uint64(0)
	for _, r := range p.recent {
		if r.seq > prev && r.seq <= seq {
			flips = append(flips, r.boxes...)
			spanned++
		}
	}
	if spanned != seq-prev {
		// Every phase is due at least once per len(phases) Deltas, and the
		// feed is gapless: a bug.
		panic(fmt.Sprintf("hub: pacer: a DeltaRange %d→%d over %d kept Deltas", prev, seq, spanned))
	}
	slices.Sort(flips)
	odd := 0
	for i := 0; i < len(flips); {
		j := i + 1
		for j < len(flips) && flips[j] == flips[i] {
			j++
		}
		if (j-i)%2 == 1 {
			flips[odd] = flips[i]
			odd++
		}
		i = j
	}
	frame, err := protocol.AppendDeltaRange(nil, seq, prev, flips[:odd])
	if err != nil {
		panic(err) // seq > prev and sorted boxes inside the grid: a bug
	}
	p.scratch = flips[:0]
	return frame
}

// wake moves c, which became active, back to every Delta: it gets its
// phase's net change up to the published seq first.
func (h *Hub) wake(c *Client) {
	c.pace.wakePending.Store(false)
	c.pace.lastActive.Store(time.Now().UnixNano())
	if c.left || !c.pace.passive {
		return
	}
	joining := c.pace.joining
	h.unpace(c)
	if joining {
		return // not moved yet: it stays in the broadcast set
	}
	var frames [][]byte
	if ph, seq := &h.pace.phases[c.pace.phase], h.shown.Seq; seq > ph.held {
		if ph.catchUp == nil || ph.catchUpFrom != ph.held || ph.catchUpSeq != seq {
			ph.catchUp, ph.catchUpFrom, ph.catchUpSeq = wsframe.Wrap(h.netFrame(ph.held, seq)), ph.held, seq
		}
		frames = append(frames, ph.catchUp)
	}
	c.shard.cmds <- cmdPace{c: c, passive: false, frames: frames}
}

// markPassive, from the sweep, picks the whole-grid version-3 members idle
// for PassiveAfter; each joins the phase with the fewest clients, and goes
// passive when that phase is next due.
func (h *Hub) markPassive(now time.Time) {
	idle := now.Add(-h.cfg.PassiveAfter).UnixNano()
	for c := range h.all {
		if c.sub.version < protocol.Version3 || c.pace.passive ||
			!c.sub.area.Whole() || c.sub.lagging.Load() || c.pace.lastActive.Load() > idle {
			continue
		}
		d := h.pace.fewest()
		c.pace.joining, c.pace.passive, c.pace.phase = true, true, d
		h.pace.phases[d].joining++
		h.pace.passive++
		h.pace.joining = append(h.pace.joining, c)
	}
}

// fewest is the phase with the fewest clients passive or joining.
func (p *pacer) fewest() int {
	best := 0
	for d := range p.phases {
		if n := p.phases[d].members + p.phases[d].joining; n < p.phases[best].members+p.phases[best].joining {
			best = d
		}
	}
	return best
}

// unpace forgets c's pacing: it woke, left, or is shown the grid from
// scratch (a resync or an area change), after which it follows every
// Delta.
func (h *Hub) unpace(c *Client) {
	if c.pace.passive {
		ph := &h.pace.phases[c.pace.phase]
		if c.pace.joining {
			ph.joining--
		} else {
			ph.members--
		}
		h.pace.passive--
	}
	c.pace.passive, c.pace.joining = false, false
	c.pacedFlag.Store(false)
}

package hub

import (
	"fmt"
	"time"

	"checkgrid/server/wsframe"
)

// The sender pool.
//
// Each client belongs to one sender (round-robin at join), and the sender
// owns its place in the broadcast set: the publisher never touches
// membership, it sends commands. A broadcast is one command to every
// sender carrying the same wire bytes; each sender writes them to each of
// its members with send (non-blocking). Commands to one sender are handled
// in order, so a join (Welcome + Snapshot(S)) queued after the broadcast of
// S and before that of S+1 gives that client exactly Snapshot(S), S+1, ….

// command is what a sender is asked to do: one of the types below,
// handled in one switch (sender.run).
type command interface{ isCommand() }

// cmdBroadcast: frame (if any) to every member of the broadcast set, and
// paced (if any) to every member of phase's paced set (pace.go).
type cmdBroadcast struct {
	frame []byte
	parts [][]byte  // the frames joined in frame, for counting (nil: frame is one)
	drop  string    // the drops label when a member's outbox is full
	at    time.Time // when handed over, for the fan-out histogram

	phase      int      // the paced set paced goes to
	paced      []byte   // a DeltaRange and what rides on it; nil: nothing for a paced set
	pacedParts [][]byte // as parts
}

// cmdPace: c moves between the broadcast set and phase's paced set
// (pace.go); frames (a waking client's catch-up) go to it first. A client
// in neither set (lagging) is left for its resync.
type cmdPace struct {
	c       *Client
	passive bool
	phase   int // with passive: the paced set it joins
	frames  [][]byte
}

// cmdToClient: frames to one client — a join, a resync or a move of its
// area — and then what it follows: the whole grid, as a member of the
// broadcast set, or its area (the zone index feeds it), outside the set.
type cmdToClient struct {
	c      *Client
	frames [][]byte
	whole  bool
	// requested: a resync the client asked for, served only while it is
	// a member; a lagging one gets its own resync once its outbox drained.
	requested bool
}

// cmdRemove: c left.
type cmdRemove struct{ c *Client }

// cmdToEach: each frame to its client (AreaDeltas, pings and Stats of
// area clients, rounds of Stats and Presence).
type cmdToEach struct {
	pairs   []addressed
	drop    string    // the drops label when an outbox is full
	counted bool      // the publisher counted these frames
	at      time.Time // AreaDeltas: when handed over, for their fan-out histogram
}

func (cmdBroadcast) isCommand() {}
func (cmdToClient) isCommand()  {}
func (cmdRemove) isCommand()    {}
func (cmdPace) isCommand()      {}
func (cmdToEach) isCommand()    {}

// senderQueue bounds each sender's command queue. A broadcast is one
// command, so 1,024 is many seconds of ticks plus a join storm; a full
// queue makes the publisher wait, which is the backpressure we want then.
const senderQueue = 1024

type sender struct {
	cmds    chan command
	members []*Client   // the broadcast set: every Delta
	paced   [][]*Client // the paced sets, one per phase: DeltaRanges (pace.go)
}

// membership is which of its sender's sets a client is in.
type membership uint8

const (
	inNone  membership = iota // neither: it follows an area, or lags until its resync
	inEvery                   // the broadcast set
	inPaced                   // the paced set
)

func (m membership) String() string {
	switch m {
	case inNone:
		return "none"
	case inEvery:
		return "every"
	case inPaced:
		return "paced"
	}
	return fmt.Sprintf("membership(%d)", uint8(m))
}

// run handles commands until cmds is closed.
func (s *sender) run(h *Hub) {
	for cmd := range s.cmds {
		switch cmd := cmd.(type) {
		case cmdBroadcast:
			s.broadcast(h, cmd)
		case cmdToClient:
			s.toClient(h, cmd)
		case cmdRemove:
			s.remove(cmd.c)
		case cmdPace:
			s.pace(h, cmd)
		case cmdToEach:
			s.toEach(h, cmd)
		default:
			panic(fmt.Sprintf("hub: sender got %T", cmd)) // a command we never make: a bug
		}
	}
}

// broadcast writes cmd's frame to every member, and its paced frame to
// every paced member. A member whose outbox is full leaves its set until
// it is resynced.
func (s *sender) broadcast(h *Hub, cmd cmdBroadcast) {
	if cmd.frame != nil {
		n := s.writeAll(h, s.members, cmd.frame, cmd.drop)
		h.countFrames(cmd.frame, cmd.parts, n)
	}
	if cmd.paced != nil {
		n := s.writeAll(h, s.paced[cmd.phase], cmd.paced, cmd.drop)
		h.countFrames(cmd.paced, cmd.pacedParts, n)
	}
	h.inflight.Add(-1)
	h.m.FanoutSeconds.Observe(time.Since(cmd.at).Seconds())
}

// writeAll writes frame to every client of set (s.members or a paced set) and
// returns how many took it; one whose outbox is full leaves the set.
func (s *sender) writeAll(h *Hub, set []*Client, frame []byte, drop string) int {
	n := 0
	for i := 0; i < len(set); {
		c := set[i]
		if h.sendRaw(c, frame) {
			i++
			n++
			continue
		}
		// The swap brings an unvisited member to i.
		s.remove(c)
		set = set[:len(set)-1]
		h.m.Drops.WithLabelValues(drop).Inc()
	}
	return n
}

// pace moves cmd.c between the broadcast and paced sets.
func (s *sender) pace(h *Hub, cmd cmdPace) {
	c := cmd.c
	switch {
	case cmd.passive && c.member == inEvery:
		s.remove(c)
		c.phase = cmd.phase
		s.add(c, inPaced)
	case !cmd.passive && c.member == inPaced:
		s.remove(c)
		for _, f := range cmd.frames {
			if !h.send(c, f) {
				c.sub.lagging.Store(true)
				h.m.Drops.WithLabelValues("outbox_full_delta").Inc()
				return
			}
		}
		s.add(c, inEvery)
	}
}

// toClient is the one path for frames to one client. A client that
// follows an area leaves the set before its snapshot, so what follows it
// is its AreaDeltas; one that follows the whole grid joins the set after
// its snapshot, so what follows is the next broadcast. Frames that do not
// fit its outbox leave it lagging, out of the set, until its resync.
func (s *sender) toClient(h *Hub, cmd cmdToClient) {
	c := cmd.c
	if cmd.requested && c.member == inNone {
		return // lagging: its own resync is on its way
	}
	if !cmd.whole {
		s.remove(c)
	}
	c.sub.lagging.Store(false)
	for _, f := range cmd.frames {
		if !h.send(c, f) {
			s.remove(c)
			c.sub.lagging.Store(true)
			h.m.Drops.WithLabelValues("outbox_full_snapshot").Inc()
			return
		}
	}
	if cmd.whole {
		s.remove(c) // a paced client shown the grid from scratch follows every Delta
		s.add(c, inEvery)
	}
}

// toEach writes each frame to its client. A full outbox is handled as a
// broadcast would: a member leaves the set, an area client stops getting
// area frames, until resynced.
func (s *sender) toEach(h *Hub, cmd cmdToEach) {
	var counts [256]struct{ n, bytes int }
	for _, a := range cmd.pairs {
		if a.c.member == inNone && a.c.sub.lagging.Load() {
			continue // out of step until its resync
		}
		if !h.sendRaw(a.c, a.frame) {
			if a.c.member != inNone {
				s.remove(a.c)
			} else {
				a.c.sub.lagging.Store(true)
			}
			h.m.Drops.WithLabelValues(cmd.drop).Inc()
			continue
		}
		k := &counts[wsframe.Type(a.frame)]
		k.n++
		k.bytes += len(a.frame)
	}
	if !cmd.at.IsZero() {
		h.m.AreaFanoutSeconds.Observe(time.Since(cmd.at).Seconds())
	}
	for t, k := range counts {
		if k.n > 0 && !cmd.counted {
			h.sentFrames[t].Add(float64(k.n))
			h.m.BytesSent.Add(float64(k.bytes))
		}
	}
}

// set is the slice of s that holds c in m (in its phase, for inPaced).
func (s *sender) set(c *Client, m membership) *[]*Client {
	if m == inPaced {
		return &s.paced[c.phase]
	}
	return &s.members
}

// add puts c, in neither set, into the set m.
func (s *sender) add(c *Client, m membership) {
	set := s.set(c, m)
	c.member, c.slot = m, len(*set)
	*set = append(*set, c)
}

// remove takes c out of the set it is in, if any.
func (s *sender) remove(c *Client) {
	if c.member == inNone {
		return
	}
	set := s.set(c, c.member)
	last := (*set)[len(*set)-1]
	(*set)[c.slot] = last
	last.slot = c.slot
	(*set)[len(*set)-1] = nil
	*set = (*set)[:len(*set)-1]
	c.member = inNone
}

// broadcastCmd hands cmd to every sender.
func (h *Hub) broadcastCmd(cmd cmdBroadcast) {
	h.inflight.Add(int64(len(h.senders)))
	cmd.at = time.Now()
	for _, s := range h.senders {
		s.cmds <- cmd
	}
}

// Behind reports whether more than one broadcast is still being written
// out (on average over the senders): the sequencer then merges its tick
// into the next (pipeline.Pacer).
func (h *Hub) Behind() bool { return h.inflight.Load() > int64(len(h.senders)) }

// ping sends a ping frame to every client: riding on the next broadcast
// for its members (ride.go), directly to the indexed ones.
func (h *Hub) ping(now time.Time) {
	h.ride(h.pingFrame, now)
	h.pingAreas()
}

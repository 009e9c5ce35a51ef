package hub

import "time"

// The sender pool.
//
// Each client belongs to one sender (round-robin at join), and the sender
// owns its place in the broadcast set: the publisher never touches
// membership, it sends commands. A broadcast is one command to every
// sender carrying the same wire bytes; each sender writes them to each of
// its members with send (non-blocking). Commands to one sender are handled
// in order, so a join (Welcome + Snapshot(S)) queued after the broadcast of
// S and before that of S+1 gives that client exactly Snapshot(S), S+1, ….

// cmdKind is what a sender is asked to do.
type cmdKind uint8

const (
	cmdBroadcast cmdKind = iota + 1 // frame to every member
	cmdAdd                          // frames to c, then c becomes a member (join, lagging resync)
	cmdResync                       // frames to c if it is a member (a resync it asked for)
	cmdRemove                       // c left
	cmdArea                         // c leaves the set, then frames to c (version 2: a new area's snapshot)
	cmdTo                           // each frame to its client (version 2: area frames, presence)
)

func (k cmdKind) String() string {
	switch k {
	case cmdBroadcast:
		return "broadcast"
	case cmdAdd:
		return "add"
	case cmdResync:
		return "resync"
	case cmdRemove:
		return "remove"
	case cmdArea:
		return "area"
	case cmdTo:
		return "to"
	}
	return "cmdKind(?)"
}

type command struct {
	kind    cmdKind
	c       *Client
	frame   []byte      // cmdBroadcast
	parts   [][]byte    // cmdBroadcast: the frames joined in frame, for counting (nil: frame is one)
	frames  [][]byte    // cmdAdd, cmdResync
	drop    string      // cmdBroadcast, cmdTo: the drops label when a member's queue is full
	pairs   []addressed // cmdTo
	counted bool        // cmdTo: the publisher counted these frames
	at      time.Time   // cmdBroadcast, cmdTo of AreaDeltas: when handed over, for the fan-out histograms
}

// senderQueue bounds each sender's command queue. A broadcast is one
// command, so 1,024 is many seconds of ticks plus a join storm; a full
// queue makes the publisher wait, which is the backpressure we want then.
const senderQueue = 1024

type sender struct {
	cmds    chan command
	members []*Client
}

// run handles commands until cmds is closed.
func (s *sender) run(h *Hub) {
	for cmd := range s.cmds {
		switch cmd.kind {
		case cmdBroadcast:
			n := 0
			for i := 0; i < len(s.members); {
				c := s.members[i]
				if h.sendRaw(c, cmd.frame) {
					i++
					n++
					continue
				}
				// Full: out of the set until its queue drains and it is
				// resynced. The swap brings an unvisited member to i.
				s.remove(c)
				h.m.Drops.WithLabelValues(cmd.drop).Inc()
			}
			h.countFrames(cmd.frame, cmd.parts, n)
			h.inflight.Add(-1)
			h.m.FanoutSeconds.Observe(time.Since(cmd.at).Seconds())
		case cmdAdd, cmdResync:
			c := cmd.c
			if cmd.kind == cmdResync && !c.member {
				continue // lagging: its own resync is on its way
			}
			ok := true
			for _, f := range cmd.frames {
				if ok = h.send(c, f); !ok {
					break
				}
			}
			switch {
			case !ok:
				s.remove(c)
				h.m.Drops.WithLabelValues("outbox_full_snapshot").Inc()
			case !c.member:
				c.member, c.slot = true, len(s.members)
				s.members = append(s.members, c)
				c.view.lagging.Store(false) // version 2: follows the whole grid now (viewport.go)
			}
		case cmdRemove:
			s.remove(cmd.c)
		case cmdArea, cmdTo:
			s.runView(h, cmd)
		default:
			panic("hub: sender got " + cmd.kind.String()) // a command we never make: a bug
		}
	}
}

// remove takes c out of the broadcast set, if it is in it.
func (s *sender) remove(c *Client) {
	if !c.member {
		return
	}
	last := s.members[len(s.members)-1]
	s.members[c.slot] = last
	last.slot = c.slot
	s.members[len(s.members)-1] = nil
	s.members = s.members[:len(s.members)-1]
	c.member = false
}

// broadcast sends frame (the frames parts joined, or one frame if parts
// is nil) to every member of every sender.
func (h *Hub) broadcast(frame []byte, parts [][]byte, drop string) {
	h.inflight.Add(int64(len(h.senders)))
	for _, s := range h.senders {
		s.cmds <- command{kind: cmdBroadcast, frame: frame, parts: parts, drop: drop, at: time.Now()}
	}
}

// fanoutBehind reports whether more than one broadcast is still being
// written out (on average over the senders).
func (h *Hub) fanoutBehind() bool { return h.inflight.Load() > int64(len(h.senders)) }

// ping sends a ping frame to every client: riding on the next broadcast
// for its members (ride.go), directly to the indexed ones.
func (h *Hub) ping(now time.Time) {
	h.ride(h.pingFrame, now)
	h.pingAreas()
}

package protocol

import "errors"

// Follower follows one client's stream of server frames, without I/O: the
// caller reads each frame and hands it to Handle, which checks it, applies
// it to the follower's Replica and says what happened (a Step); a gap
// makes the follower wait for the next snapshot and owe the server one
// ResyncRequest (TakeResync), which the caller sends. The client session,
// the test peers, the crash test and the load generator all follow the
// server through it, so they agree with each other on every edge of the
// Flow in PROTOCOL.md:
//
//   - Deltas, AreaDeltas and DeltaRanges are discarded (Step.Skipped)
//     until the first snapshot, and after a Resync frame or a gap until
//     the next one.
//   - A Delta, AreaDelta or DeltaRange that does not follow (Follows) is
//     not applied:
//     Handle returns ErrGap, the follower stops trusting its area and owes
//     one ResyncRequest until the next snapshot.
//   - A snapshot of any epoch replaces what the follower held.
//   - Welcome, Stats and Presence are kept (Welcome, Stats, Presence);
//     Reject's boxes and retry time are the Step's. A new connection
//     forgets the Welcome; Stats, Presence and the grid stay as last known.
//
// A head-only follower (NewHeadFollower, for the load generator) keeps no
// grid: it reads each frame's fixed header (ReadHead; a prefix of
// HeadSize bytes is enough) and checks the seqs with the same rule; the
// small fixed frames (Welcome, Stats, Resync) it still decodes whole.
//
// A Follower has no locking; its owner serialises access.
type Follower struct {
	rep *Replica // nil: head only, and area and seq are the state
	// area and seq are a head-only follower's: where it is exact, and at
	// which seq (Follows).
	area Area
	seq  uint64

	welcome  Welcome
	welcomed bool
	stats    Stats
	presence Presence
	waiting  bool // discarding Deltas until the next snapshot
	owed     bool // a ResyncRequest is due (TakeResync)

	frames [0x10]int // received, by type (server types are 0x01–0x0f)
	total  int       // received, bad ones too
	bytes  int64
	gaps   int
	boxes  []uint32 // Reject's boxes, reused
}

// Step is what one frame did.
type Step struct {
	// Head is the frame's fixed header: its type and fixed fields.
	Head Head
	// Boxes are the boxes an applied Delta or AreaDelta flipped, or those
	// a Reject refused (strictly increasing); nil for other frames and
	// for a head-only follower. The slice is the follower's, valid until
	// the next Handle.
	Boxes []uint32
	// Skipped: a Delta or AreaDelta discarded while the follower waits
	// for a snapshot (see Follower).
	Skipped bool
}

// NewFollower returns a follower that keeps the grid in rep (its last
// known state stays when the connection is replaced; see NewConnection).
func NewFollower(rep *Replica) *Follower {
	f := &Follower{rep: rep}
	f.NewConnection()
	return f
}

// NewHeadFollower returns a follower that keeps no grid (see Follower).
func NewHeadFollower() *Follower {
	f := &Follower{}
	f.NewConnection()
	return f
}

// NewConnection starts a new stream (a new connection: Welcome, then a
// snapshot). The replica keeps its grid as last known, unsynced; Stats,
// Presence and the counters go on.
func (f *Follower) NewConnection() {
	f.welcomed, f.waiting, f.owed = false, true, false
	f.unsync()
}

// Handle applies one server frame (with a head-only follower, possibly a
// prefix of at least HeadSize bytes). A frame that does not follow returns
// ErrGap (wrapped) and a ResyncRequest is then owed; any other error is a
// bad frame (a named decoder error, or ErrVersion for a Welcome of a
// version this package does not speak), after which the caller closes the
// connection; the follower's state is then unchanged but for the counters.
func (f *Follower) Handle(b []byte) (Step, error) {
	f.total++
	f.bytes += int64(len(b))
	h, err := ReadHead(b)
	if err != nil {
		return Step{}, err
	}
	f.frames[h.Type]++
	st := Step{Head: h}
	switch h.Type {
	case TypeWelcome:
		w, err := DecodeWelcome(b)
		if err != nil {
			return st, err
		}
		f.welcome, f.welcomed = w, true
	case TypeStats:
		s, err := DecodeStats(b)
		if err != nil {
			return st, err
		}
		f.stats = s
	case TypeResync:
		if _, err := DecodeResync(b); err != nil {
			return st, err
		}
		f.waiting = true
		f.unsync()
	case TypePresence:
		if f.rep == nil {
			break
		}
		p, err := DecodePresence(b)
		if err != nil {
			return st, err
		}
		f.presence = p
	case TypeReject:
		if f.rep == nil {
			break
		}
		r, err := DecodeReject(b)
		if err == nil {
			f.boxes, err = r.AppendIndexes(f.boxes[:0])
		}
		if err != nil {
			return st, err
		}
		st.Boxes = f.boxes
	case TypeSnapshot, TypeAreaSnapshot:
		if _, err := f.apply(h, b); err != nil {
			f.unsync()
			return st, err
		}
		f.waiting, f.owed = false, false
	case TypeDelta, TypeAreaDelta, TypeDeltaRange:
		if f.waiting {
			st.Skipped = true
			return st, nil
		}
		boxes, err := f.apply(h, b)
		if err != nil {
			return st, f.gap(err)
		}
		st.Boxes = boxes
	}
	return st, nil
}

// apply applies a snapshot or delta: to the replica, or (head only) to
// area and seq by the same rule.
func (f *Follower) apply(h Head, b []byte) ([]uint32, error) {
	if f.rep != nil {
		return f.rep.Apply(b)
	}
	if err := Follows(f.area, f.seq, h); err != nil {
		return nil, err
	}
	switch h.Type {
	case TypeSnapshot:
		f.area = WholeGrid
	case TypeAreaSnapshot:
		if err := h.Area.Valid(); err != nil {
			return nil, err
		}
		f.area = h.Area
	}
	f.seq = h.Seq
	return nil, nil
}

// gap handles a frame that was not applied: one that does not follow owes
// a resync; a corrupt one is the caller's to close on.
func (f *Follower) gap(err error) error {
	if !errors.Is(err, ErrGap) {
		return err
	}
	f.gaps++
	f.waiting, f.owed = true, true
	f.unsync()
	return err
}

func (f *Follower) unsync() {
	if f.rep != nil {
		f.rep.Unsync()
	}
	f.area = Area{}
}

// TakeResync returns the ResyncRequest owed after a gap, once (ok false if
// none is); the caller sends it. A snapshot cancels one not yet taken.
func (f *Follower) TakeResync() (req ResyncRequest, ok bool) {
	if !f.owed {
		return ResyncRequest{}, false
	}
	f.owed = false
	return ResyncRequest{HaveSeq: f.Seq()}, true
}

// Replica is the follower's grid (nil for a head-only follower).
func (f *Follower) Replica() *Replica { return f.rep }

// Synced reports whether the follower holds an exact area: it has applied
// a snapshot and every frame after it.
func (f *Follower) Synced() bool { return f.Area().W != 0 }

// Area is where the follower is exact (the zero Area when unsynced).
func (f *Follower) Area() Area {
	if f.rep != nil {
		return f.rep.Area
	}
	return f.area
}

// Seq is the seq of the last snapshot or delta applied.
func (f *Follower) Seq() uint64 {
	if f.rep != nil {
		return f.rep.Seq
	}
	return f.seq
}

// Welcome is this connection's Welcome (ok false before it arrives).
func (f *Follower) Welcome() (w Welcome, ok bool) { return f.welcome, f.welcomed }

// Stats is the last Stats received (zero before one).
func (f *Follower) Stats() Stats { return f.stats }

// Presence is the last presence map (ok false before one; a head-only
// follower keeps none). Its Counts are the follower's: do not
// modify them.
func (f *Follower) Presence() (p Presence, ok bool) { return f.presence, f.presence.Cell != 0 }

// Frames is the number of frames of type t received (every connection).
func (f *Follower) Frames(t FrameType) int {
	if int(t) >= len(f.frames) {
		return 0
	}
	return f.frames[t]
}

// Received is the number of frames and bytes handed to Handle, bad ones
// too (every connection).
func (f *Follower) Received() (frames int, bytes int64) { return f.total, f.bytes }

// Gaps is the number of frames that did not follow (every connection).
func (f *Follower) Gaps() int { return f.gaps }

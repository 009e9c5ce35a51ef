package session

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"checkgrid/protocol"
	"checkgrid/wasm/board"
	"checkgrid/wasm/link"
	"checkgrid/wasm/throttle"
)

// maxEventsPerUpdate bounds the events applied in one Update, so a burst
// after a stall spreads over a few frames instead of stalling one. Deltas
// arrive at 10–20 a second; 64 clears any backlog quickly.
const maxEventsPerUpdate = 64

// Link is the session's connection to the server: package conn's Conn in
// the client. Events is read only by Update; Send and Drop must not block.
type Link interface {
	// Events delivers state changes and received frames, in order.
	Events() <-chan link.Event
	// Send queues one frame for the current connection; the frame belongs
	// to the Link afterwards. false means it was dropped (the connection is
	// gone or saturated); its boxes settle by timeout.
	Send(frame []byte) bool
	// Drop closes the current connection and reconnects.
	Drop()
}

// ErrFrame wraps every reason Handle refuses a frame; the caller drops the
// connection and reconnects (PROTOCOL.md: a client that receives a bad
// frame closes and reconnects).
var ErrFrame = errors.New("session: bad frame from server")

// Session is one player's game state.
type Session struct {
	net      Link
	board    *board.Board
	link     link.State
	linkErr  error
	welcome  protocol.Welcome
	welcomed bool
	// awaiting: Deltas are ignored until the next Snapshot.
	awaiting     bool
	resyncQueued bool

	bucket   throttle.Bucket
	cooldown throttle.Cooldown
	quips    *throttle.Quips

	queue  []protocol.Change // the player's changes not yet sent
	queued map[uint32]int    // box → position in queue

	stats    protocol.Stats
	rejected int
	frames   int
	bytes    int64
	fatal    string

	scratch []uint32
	out     [][]byte
}

// New returns a session with an empty board that talks to the server
// through l; seed varies the quips.
func New(seed uint64, l Link) *Session {
	return &Session{
		net:      l,
		board:    board.New(),
		link:     link.Connecting,
		awaiting: true,
		quips:    throttle.NewQuips(seed),
		queued:   make(map[uint32]int),
	}
}

// Board is the session's board. The caller may read it and Drain it, and
// must change it only through the Session.
func (s *Session) Board() *board.Board { return s.board }

// Update does one frame's network work at now, without blocking: it
// applies what the link delivered (at most maxEventsPerUpdate events),
// settles optimistic changes the server never confirmed, and sends the
// frames due (see outbox). A frame the session cannot use drops the
// connection, so the client starts over on a fresh one.
func (s *Session) Update(now time.Duration) {
	s.receive(now)
	s.board.Settle(now)
	s.out = s.outbox(s.out[:0])
	for i, f := range s.out {
		s.net.Send(f)
		s.out[i] = nil
	}
}

func (s *Session) receive(now time.Duration) {
	for range maxEventsPerUpdate {
		select {
		case e := <-s.net.Events():
			if e.Frame == nil {
				s.setLink(e.State, e.Err)
				continue
			}
			// After a version mismatch the server closes with 4004 and
			// the connection fails for good: no point in dropping it.
			if err := s.handle(e.Frame, now); err != nil && s.fatal == "" {
				s.net.Drop()
			}
		default:
			return
		}
	}
}

// setLink records the connection's state. A new connection starts a new
// stream (Welcome, Snapshot), so the board waits for its Snapshot, and
// changes queued for the old one are dropped (they settle by timeout).
func (s *Session) setLink(st link.State, err error) {
	s.link, s.linkErr = st, err
	if st == link.Connected {
		s.welcomed = false
		s.awaiting, s.resyncQueued = true, false
		s.board.Unsync()
		s.queue = s.queue[:0]
		clear(s.queued)
	}
}

// handle applies one frame received at now.
func (s *Session) handle(f []byte, now time.Duration) error {
	s.frames++
	s.bytes += int64(len(f))
	t, err := protocol.PeekType(f)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrFrame, err)
	}
	switch t {
	case protocol.TypeWelcome:
		w, err := protocol.DecodeWelcome(f)
		if err != nil {
			if errors.Is(err, protocol.ErrVersion) {
				s.fatal = "A new version of checkgrid is out. Please reload the page."
			}
			return fmt.Errorf("%w: %w", ErrFrame, err)
		}
		s.welcome, s.welcomed = w, true
		s.bucket.Configure(int(w.SetRate), int(w.SetBurst), now)
	case protocol.TypeSnapshot:
		snap, err := protocol.DecodeSnapshot(f)
		if err == nil {
			err = s.board.ApplySnapshot(snap)
		}
		if err != nil {
			return fmt.Errorf("%w: %w", ErrFrame, err)
		}
		s.awaiting, s.resyncQueued = false, false
	case protocol.TypeDelta:
		if s.awaiting {
			return nil
		}
		d, err := protocol.DecodeDelta(f)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrFrame, err)
		}
		switch err := s.board.ApplyDelta(d); {
		case errors.Is(err, board.ErrGap), errors.Is(err, board.ErrUnsynced):
			s.awaiting, s.resyncQueued = true, true
			s.board.Unsync()
		case err != nil:
			return fmt.Errorf("%w: %w", ErrFrame, err)
		}
	case protocol.TypeStats:
		st, err := protocol.DecodeStats(f)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrFrame, err)
		}
		s.stats = st
	case protocol.TypeReject:
		r, err := protocol.DecodeReject(f)
		if err == nil {
			s.scratch, err = r.AppendIndexes(s.scratch[:0])
		}
		if err != nil {
			return fmt.Errorf("%w: %w", ErrFrame, err)
		}
		s.reject(r, s.scratch, now)
	case protocol.TypeResync:
		if _, err := protocol.DecodeResync(f); err != nil {
			return fmt.Errorf("%w: %w", ErrFrame, err)
		}
		s.awaiting = true
		s.board.Unsync()
	default:
		return fmt.Errorf("%w: %w: %v from the server", ErrFrame, protocol.ErrType, t)
	}
	return nil
}

func (s *Session) reject(r protocol.Reject, idx []uint32, now time.Duration) {
	s.rejected++
	s.board.Reject(idx)
	// The server's bucket is emptier than ours thinks: match it.
	s.bucket.Drain(now)
	msg := s.quips.Next()
	switch r.Reason {
	case protocol.RejectStorage:
		msg = "The grid is saving its breath (storage trouble). Try again in a moment."
	case protocol.RejectOverload:
		msg = "So many players! The server needs a moment."
	}
	s.cooldown.Start(now, time.Duration(r.RetryAfterMS)*time.Millisecond, msg)
}

// Refusal says why a change was not made.
type Refusal uint8

// Refusals.
const (
	Accepted  Refusal = iota
	NotSynced         // no connection or no snapshot yet
	Cooling           // in a cooldown after a Reject or an empty bucket
	Limited           // the bucket just ran dry; a cooldown starts
)

func (r Refusal) String() string {
	switch r {
	case Accepted:
		return "accepted"
	case NotSynced:
		return "not_synced"
	case Cooling:
		return "cooling"
	case Limited:
		return "limited"
	}
	return fmt.Sprintf("Refusal(%d)", uint8(r))
}

// allow decides whether the player may change one more box at now.
func (s *Session) allow(now time.Duration) Refusal {
	if s.link != link.Connected || !s.board.Synced() || !s.welcomed {
		s.cooldown.Start(now, 0, "Hang on, still connecting…")
		return NotSynced
	}
	if s.cooldown.Active(now) {
		return Cooling
	}
	if !s.bucket.Take(now) {
		s.cooldown.Start(now, s.bucket.Wait(now), s.quips.Next())
		return Limited
	}
	return Accepted
}

// Toggle flips box i for the player, optimistically, and queues it for the
// server, unless the session refuses.
func (s *Session) Toggle(i uint32, now time.Duration) Refusal {
	if r := s.allow(now); r != Accepted {
		return r
	}
	s.enqueue(s.board.Toggle(i, now))
	return Accepted
}

// Paint gives box i the value v, like Toggle, but spends nothing on a box
// that already shows v, so a stroke over drawn boxes is free.
func (s *Session) Paint(i uint32, v bool, now time.Duration) Refusal {
	if s.board.Displayed(i) == v {
		return Accepted
	}
	if r := s.allow(now); r != Accepted {
		return r
	}
	s.board.Want(i, v, now)
	s.enqueue(protocol.Change{Index: i, Value: v})
	return Accepted
}

func (s *Session) enqueue(c protocol.Change) {
	if at, ok := s.queued[c.Index]; ok {
		s.queue[at] = c
		return
	}
	s.queued[c.Index] = len(s.queue)
	s.queue = append(s.queue, c)
}

// outbox appends the frames to send now to dst: a ResyncRequest if one is
// due, and one Set of the queued changes, sorted, at most Welcome's
// MaxSetBoxes (the rest wait for the next call). Each frame is a new slice
// the caller may hand off.
func (s *Session) outbox(dst [][]byte) [][]byte {
	if s.resyncQueued {
		s.resyncQueued = false
		dst = append(dst, protocol.AppendResyncRequest(nil, protocol.ResyncRequest{HaveSeq: s.board.Seq()}))
	}
	if len(s.queue) == 0 || !s.welcomed {
		return dst
	}
	slices.SortFunc(s.queue, func(a, b protocol.Change) int { return int(a.Index) - int(b.Index) })
	n := min(len(s.queue), int(s.welcome.MaxSetBoxes))
	f, err := protocol.AppendSet(nil, s.queue[:n])
	if err != nil {
		// Unreachable: the queue is deduplicated, sorted and in the grid.
		panic(fmt.Sprintf("session: encoding a Set: %v", err))
	}
	rest := copy(s.queue, s.queue[n:])
	s.queue = s.queue[:rest]
	clear(s.queued)
	for i, c := range s.queue {
		s.queued[c.Index] = i
	}
	return append(dst, f)
}

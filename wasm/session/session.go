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
	"checkgrid/wasm/wording"
)

// Rate-limit tuning.
const (
	// clickRate and clickBurst limit taps (and keyboard toggles) on top of
	// the server's budget, which is sized for drawing (20 boxes a second,
	// bursts of 300) and which no hand clicking box by box ever reaches.
	// A player clicking as fast as they can (6–10 a second) meets this one
	// within a few seconds and sees a quip, while ordinary clicking (one
	// or two a second, with bursts) never does.
	clickRate  = 4
	clickBurst = 8
	// resumeAfter is how much budget an episode waits to win back before
	// the player may go on: refusing until a single token is back (1/18 s)
	// would end the episode at once and let a stroke through box by box,
	// drawn dashed. Two seconds' worth gives a real countdown to read and
	// a real stroke afterwards.
	resumeAfter = 2 * time.Second
	// maxRefused bounds the refused boxes kept for the renderer between two
	// frames; past it a stroke's refusal is still shown by its first boxes.
	maxRefused = 4096
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
	net     Link
	follow  *protocol.Follower // the server's frames: seqs, gaps, Welcome, Stats, Presence
	board   *board.Board       // the follower's grid and the player's changes on top
	link    link.State
	linkErr error

	bucket   throttle.Bucket // the server's budget, less Headroom
	clicks   throttle.Bucket // taps only: see clickRate
	cooldown throttle.Cooldown
	quips    *throttle.Quips
	// why is the second line of the current episode's message: whose
	// limit it is, in numbers.
	why     string
	refused []uint32     // refused since the last DrainRefused
	ann     announcement // the operator's message (announce.go)
	mine    int          // changes the player made that were accepted

	queue  []protocol.Change // the player's changes not yet sent
	queued map[uint32]int    // box → position in queue

	fatal string

	out [][]byte

	sub subscription // version 2: the subscribed area (subscription.go)
}

// New returns a session with an empty board that talks to the server
// through l; seed varies the quips.
func New(seed uint64, l Link) *Session {
	rep := new(protocol.Replica)
	return &Session{
		net:    l,
		follow: protocol.NewFollower(rep),
		board:  board.New(rep),
		link:   link.Connecting,
		quips:  throttle.NewQuips(seed),
		queued: make(map[uint32]int),
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
	s.out = s.viewport(s.outbox(s.out[:0]), now)
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
		s.follow.NewConnection()
		s.queue = s.queue[:0]
		clear(s.queued)
		s.newConnection()
	}
}

// handle applies one frame received at now: the follower checks and
// applies it (a gap owes a resync, sent by outbox), the board follows, and
// the session takes the Welcome's limits and a Reject's episode.
func (s *Session) handle(f []byte, now time.Duration) error {
	st, err := s.follow.Handle(f)
	s.board.Follow(st)
	switch {
	case errors.Is(err, protocol.ErrGap):
		return nil
	case errors.Is(err, protocol.ErrVersion):
		s.fatal = wording.VersionMessage
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrFrame, err)
	}
	switch st.Head.Type {
	case protocol.TypeWelcome:
		w, _ := s.follow.Welcome()
		s.bucket.Configure(int(w.SetRate), int(w.SetBurst), now)
		// Not above the server's own limit, however small that is.
		s.clicks.Configure(min(clickRate, int(w.SetRate)), min(clickBurst, int(w.SetBurst)), now)
	case protocol.TypeReject:
		s.reject(st.Head, st.Boxes, now)
	case protocol.TypeAnnounce:
		return s.handleAnnounce(f, now)
	}
	return nil
}

// welcome is the current connection's Welcome, ok false before it.
func (s *Session) welcome() (protocol.Welcome, bool) { return s.follow.Welcome() }

// reject starts the episode for a Reject (its head h; the board has
// already reverted its boxes idx).
func (s *Session) reject(h protocol.Head, idx []uint32, now time.Duration) {
	r := protocol.Reject{Reason: protocol.RejectReason(h.Reason), RetryAfterMS: h.Retry, Count: h.Count}
	s.refuse(idx...)
	if s.moderated(r, now) {
		return
	}
	// The server's bucket is emptier than ours thinks: match it.
	s.bucket.Drain(now)
	d := max(time.Duration(r.RetryAfterMS)*time.Millisecond, s.bucket.WaitFor(s.bucket.Rate()*resumeAfter.Seconds(), now))
	src, msg := throttle.Server, s.quips.Next
	w, _ := s.welcome()
	why := fmt.Sprintf(wording.ServerWhyFmt, r.Count, w.SetRate)
	switch r.Reason {
	case protocol.RejectAddressRate:
		why = fmt.Sprintf(wording.AddressWhyFmt, r.Count)
	case protocol.RejectStorage:
		src, why = throttle.Storage, wording.StorageWhy
		msg = func() string { return wording.Storage }
	case protocol.RejectOverload:
		src, why = throttle.Overload, wording.OverloadWhy
		msg = func() string { return wording.Overload }
	}
	if src0, _ := s.cooldown.Shown(now); !s.cooldown.Active(now) || src0 != src {
		s.why = why
	}
	s.cooldown.Start(now, d, src, msg)
}

// bannedPause is how long a ban with no known end holds the player's
// clicks back before the next one is sent (and refused again): the server
// refuses every one, so sending them is only noise.
const bannedPause = 10 * time.Second

// moderated handles a Reject for a freeze or a ban, which spent no tokens
// (PROTOCOL.md, Reject): a freeze says so in words without holding the
// player back elsewhere (a zero-length episode, its message lingering); a
// ban holds clicks back until it ends (or bannedPause). It reports whether
// r was one of them.
func (s *Session) moderated(r protocol.Reject, now time.Duration) bool {
	switch r.Reason {
	case protocol.RejectFrozen:
		s.why = wording.FrozenWhy
		s.cooldown.Start(now, 0, throttle.Frozen, func() string { return wording.Frozen })
		return true
	case protocol.RejectBanned:
		d, why := bannedPause, wording.BannedWhy
		if r.RetryAfterMS > 0 {
			left := time.Duration(r.RetryAfterMS) * time.Millisecond
			d, why = min(left, bannedPause), fmt.Sprintf(wording.BannedEndFmt, roughly(left))
		}
		s.why = why
		s.cooldown.Start(now, d, throttle.Banned, func() string { return wording.Banned })
		return true
	}
	return false
}

// roughly says a long duration in the unit a person would use.
func roughly(d time.Duration) string {
	switch {
	case d < 2*time.Hour:
		return fmt.Sprintf("%d min", max(1, (d+time.Minute-1)/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h", (d+time.Hour-1)/time.Hour)
	}
	return fmt.Sprintf("%d days", (d+24*time.Hour-1)/(24*time.Hour))
}

// refuse keeps boxes for DrainRefused, within maxRefused.
func (s *Session) refuse(idx ...uint32) {
	n := min(len(idx), maxRefused-len(s.refused))
	s.refused = append(s.refused, idx[:max(n, 0)]...)
}

// DrainRefused appends the boxes refused since the last call (by our
// limit or the server's) to dst, for the renderer to flash, and forgets
// them.
func (s *Session) DrainRefused(dst []uint32) []uint32 {
	dst = append(dst, s.refused...)
	s.refused = s.refused[:0]
	return dst
}

// Refusal says why a change was not made.
type Refusal uint8

// Refusals.
const (
	Accepted  Refusal = iota
	NotSynced         // no connection or no snapshot yet
	Cooling           // in a cooldown after a Reject or an empty bucket
	Limited           // the bucket just ran dry; a cooldown starts
	Unknown           // outside the area the board follows: its state is not known
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
	case Unknown:
		return "unknown"
	}
	return fmt.Sprintf("Refusal(%d)", uint8(r))
}

// allow decides whether the player may change one more box at now; tap
// says the change is a tap (or a key press), which also spends from the
// click budget.
func (s *Session) allow(now time.Duration, tap bool) Refusal {
	if _, welcomed := s.welcome(); s.link != link.Connected || !s.follow.Synced() || !welcomed {
		s.cooldown.Start(now, 0, throttle.Connecting, func() string { return wording.Connecting })
		s.why = ""
		return NotSynced
	}
	if s.cooldown.Active(now) {
		return Cooling
	}
	b, why := &s.bucket, fmt.Sprintf(wording.OursBoxesFmt, s.bucket.Rate())
	if tap {
		if s.clicks.Burst() > 0 && s.clicks.WaitFor(1, now) > 0 {
			b, why = &s.clicks, fmt.Sprintf(wording.OursClicksFmt, s.clicks.Rate())
		}
	}
	if b.WaitFor(1, now) > 0 {
		s.why = why
		s.cooldown.Start(now, b.WaitFor(b.Rate()*resumeAfter.Seconds(), now), throttle.Ours, s.quips.Next)
		return Limited
	}
	b.Take(now)
	if tap && b != &s.clicks {
		s.clicks.Take(now)
	}
	return Accepted
}

// Toggle flips box i for the player, optimistically, and queues it for the
// server, unless the session refuses; a refused box is kept for
// DrainRefused.
func (s *Session) Toggle(i uint32, now time.Duration) Refusal {
	if s.board.Synced() && !s.board.Known(i) {
		s.refuse(i)
		return Unknown
	}
	if r := s.allow(now, true); r != Accepted {
		s.refuse(i)
		return r
	}
	s.mine++
	s.enqueue(s.board.Toggle(i, now))
	return Accepted
}

// ClickBudget is how much of the player's click budget is left at now, 0
// to 1: the emptier of the click and box buckets, and 0 while a rate-limit
// episode refuses everything. The HUD shows it at all times, so the limit
// is seen coming rather than learnt by hitting it.
func (s *Session) ClickBudget(now time.Duration) float64 {
	if s.cooldown.Active(now) {
		return 0
	}
	return min(s.clicks.Level(now), s.bucket.Level(now))
}

// Paint gives box i the value v, like Toggle, but spends nothing on a box
// that already shows v, so a stroke over drawn boxes is free, and nothing
// from the click budget.
func (s *Session) Paint(i uint32, v bool, now time.Duration) Refusal {
	if s.board.Synced() && !s.board.Known(i) {
		s.refuse(i)
		return Unknown
	}
	if s.board.Displayed(i) == v {
		return Accepted
	}
	if r := s.allow(now, false); r != Accepted {
		s.refuse(i)
		return r
	}
	s.mine++
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
	if req, ok := s.follow.TakeResync(); ok {
		dst = append(dst, protocol.AppendResyncRequest(nil, req))
	}
	w, welcomed := s.welcome()
	if len(s.queue) == 0 || !welcomed {
		return dst
	}
	slices.SortFunc(s.queue, func(a, b protocol.Change) int { return int(a.Index) - int(b.Index) })
	n := min(len(s.queue), int(w.MaxSetBoxes))
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

package session

import (
	"time"

	"checkgrid/protocol"
	"checkgrid/wasm/link"
	"checkgrid/wasm/throttle"
)

// Status is what the HUD and the test hooks show.
type Status struct {
	State    link.State
	Synced   bool
	Seq      uint64
	Checked  int // in the server's state as the board holds it
	Online   int // from the last Stats
	Toggles  uint64
	Rejected int // Reject frames received
	Frames   int // frames received
	Bytes    int64
	Pending  int
	Mine     int           // the player's changes accepted so far (the hint goes after the first)
	Area     protocol.Area // the area the board follows (version 2; the whole grid in 1)
	Gaps     int           // frames that did not follow, each resynced
	Near     int           // other players looking near the view (presence)
}

// Status reports the session's counters.
func (s *Session) Status() Status {
	frames, bytes := s.follow.Received()
	return Status{
		State:    s.link,
		Synced:   s.follow.Synced(),
		Seq:      s.follow.Seq(),
		Checked:  s.board.Checked(),
		Online:   int(s.follow.Stats().Online),
		Toggles:  s.follow.Stats().Toggles,
		Rejected: s.follow.Frames(protocol.TypeReject),
		Frames:   frames,
		Bytes:    bytes,
		Pending:  s.board.Pending(),
		Mine:     s.mine,
		Area:     s.follow.Area(),
		Gaps:     s.follow.Gaps(),
		Near:     func() int { n, _ := s.Near(); return n }(),
	}
}

// Limit is the rate-limit (or connection) episode the HUD shows.
type Limit struct {
	Source    throttle.Source // None: nothing to show
	Quip      string          // the episode's one message
	Why       string          // whose limit, in numbers ("" if none)
	Remaining time.Duration   // until the player may go on
	Total     time.Duration   // the episode's length, for the countdown bar
}

// Limit reports the episode to show at now.
func (s *Session) Limit(now time.Duration) Limit {
	src, quip := s.cooldown.Shown(now)
	if src == throttle.None {
		return Limit{}
	}
	return Limit{Source: src, Quip: quip, Why: s.why, Remaining: s.cooldown.Remaining(now), Total: s.cooldown.Total()}
}

// Message is the episode's message at now, "" if none.
func (s *Session) Message(now time.Duration) string { return s.Limit(now).Quip }

// Fatal is a message that needs the player to act (reload), "" if none.
func (s *Session) Fatal() string { return s.fatal }

// LinkErr is why the connection was last lost, nil if it was not.
func (s *Session) LinkErr() error { return s.linkErr }

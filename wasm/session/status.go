package session

import (
	"time"

	"checkgrid/wasm/link"
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
}

// Status reports the session's counters.
func (s *Session) Status() Status {
	return Status{
		State:    s.link,
		Synced:   s.board.Synced(),
		Seq:      s.board.Seq(),
		Checked:  s.board.Checked(),
		Online:   int(s.stats.Online),
		Toggles:  s.stats.Toggles,
		Rejected: s.rejected,
		Frames:   s.frames,
		Bytes:    s.bytes,
		Pending:  s.board.Pending(),
	}
}

// Message is the rate-limit (or connection) message to show at now, "" if
// none.
func (s *Session) Message(now time.Duration) string { return s.cooldown.Shown(now) }

// Cooldown is how long the player must still wait before toggling.
func (s *Session) Cooldown(now time.Duration) time.Duration { return s.cooldown.Remaining(now) }

// Fatal is a message that needs the player to act (reload), "" if none.
func (s *Session) Fatal() string { return s.fatal }

// LinkErr is why the connection was last lost, nil if it was not.
func (s *Session) LinkErr() error { return s.linkErr }

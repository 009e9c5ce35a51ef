package session

import (
	"fmt"
	"time"

	"checkgrid/protocol"
)

// Announcements (version 3, PROTOCOL.md Announce): the operator's message,
// shown until the player dismisses it, its time runs out, or the server
// withdraws it or replaces it with a later one. A dismissed id stays
// dismissed for the session, so the copy the server sends after a
// reconnect does not bring it back.
type announcement struct {
	id        uint32
	text      string
	until     time.Duration // session time it comes down
	dismissed uint32        // the last id the player dismissed
}

// handleAnnounce applies an Announce frame received at now.
func (s *Session) handleAnnounce(f []byte, now time.Duration) error {
	a, err := protocol.DecodeAnnounce(f)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrFrame, err)
	}
	switch {
	case a.Withdrawn():
		if a.ID == s.ann.id {
			s.ann.id, s.ann.text = 0, ""
		}
	case a.ID >= s.ann.id: // an older one (reordered by nothing, but cheap to refuse) never replaces a newer
		s.ann.id, s.ann.text, s.ann.until = a.ID, a.Text, now+a.Lasts()
	}
	return nil
}

// Announcement returns the operator's message to show at now, if there is
// one the player has not dismissed.
func (s *Session) Announcement(now time.Duration) (text string, ok bool) {
	a := &s.ann
	if a.id == 0 || a.id == a.dismissed || now >= a.until {
		return "", false
	}
	return a.text, true
}

// DismissAnnouncement hides the announcement shown now for good.
func (s *Session) DismissAnnouncement() {
	s.ann.dismissed = s.ann.id
}

package protocol

import (
	"fmt"
	"time"
	"unicode/utf8"
)

// Announce is the operator's message to every player (version 3): shown
// as a banner until the player dismisses it or it expires, or withdrawn.
//
//	offset size field
//	0      1    type = 0x0a
//	1      4    id: the announcement's number (≥ 1); a later announcement
//	            has a larger id, so a client that dismissed id N may ignore
//	            N again (after a reconnect) and show any other
//	5      4    seconds it stays up from the frame's arrival (1 … one
//	            week); 0 withdraws announcement id (then n is 0)
//	9      2    n: text length in bytes (0 … MaxAnnounceText)
//	11     n    text: UTF-8, no control characters
//	11+n        end
type Announce struct {
	ID   uint32
	TTL  uint32 // seconds; 0: withdrawn
	Text string
}

// Announce bounds.
const (
	AnnounceHeaderSize = 11
	// MaxAnnounceText is a tweet's length in bytes: a banner line or two
	// on a phone, and a frame that costs the fan-out nothing.
	MaxAnnounceText = 280
	// MaxAnnounceTTL is a week: longer is a notice for the page, not a
	// banner.
	MaxAnnounceTTL = 7 * 24 * 3600
)

// Withdrawn reports whether a withdraws its id instead of announcing.
func (a Announce) Withdrawn() bool { return a.TTL == 0 }

// Lasts is how long a stays up after it arrives.
func (a Announce) Lasts() time.Duration { return time.Duration(a.TTL) * time.Second }

// Check reports the first field of a out of its range (ErrField).
func (a Announce) Check() error {
	switch {
	case a.ID == 0:
		return errField("announce id", 0)
	case a.TTL > MaxAnnounceTTL:
		return errField("announce seconds", uint64(a.TTL))
	case len(a.Text) > MaxAnnounceText:
		return errField("announce text bytes", uint64(len(a.Text)))
	case a.TTL == 0 && a.Text != "":
		return fmt.Errorf("%w: a withdrawal (0 seconds) carries no text", ErrField)
	case a.TTL != 0 && a.Text == "":
		return fmt.Errorf("%w: an announcement has text", ErrField)
	}
	return checkText(a.Text)
}

// checkText refuses text that is not UTF-8 or holds a control character
// (C0, DEL, C1): a banner is one paragraph of printable text.
func checkText(s string) error {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, n := utf8.DecodeRuneInString(s[i:]); n <= 1 {
				return fmt.Errorf("%w: announce text is not UTF-8 at byte %d", ErrField, i)
			}
		}
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) {
			return fmt.Errorf("%w: announce text has control character U+%04X at byte %d", ErrField, r, i)
		}
	}
	return nil
}

// AppendAnnounce appends a as a frame to dst, or returns ErrField if a
// field is out of range.
func AppendAnnounce(dst []byte, a Announce) ([]byte, error) {
	if err := a.Check(); err != nil {
		return dst, err
	}
	dst = append(dst, byte(TypeAnnounce))
	dst = le.AppendUint32(dst, a.ID)
	dst = le.AppendUint32(dst, a.TTL)
	dst = le.AppendUint16(dst, uint16(len(a.Text)))
	return append(dst, a.Text...), nil
}

// DecodeAnnounce decodes an Announce frame. The text is copied.
func DecodeAnnounce(b []byte) (Announce, error) {
	if err := header(b, TypeAnnounce, AnnounceHeaderSize); err != nil {
		return Announce{}, err
	}
	n := int(le.Uint16(b[9:]))
	if n > MaxAnnounceText {
		return Announce{}, errField("announce text bytes", uint64(n))
	}
	if err := exact(b, TypeAnnounce, AnnounceHeaderSize+n); err != nil {
		return Announce{}, err
	}
	a := Announce{ID: le.Uint32(b[1:]), TTL: le.Uint32(b[5:]), Text: string(b[AnnounceHeaderSize:])}
	if err := a.Check(); err != nil {
		return Announce{}, err
	}
	return a, nil
}

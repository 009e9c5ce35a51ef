package session

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"checkgrid/protocol"
	"checkgrid/wasm/board"
)

// Version 2: the session subscribes to the area on screen plus a margin,
// applies AreaSnapshot and AreaDelta to the board (gaps resync, never
// apply), refuses to set boxes it does not know, and keeps the presence
// map.

// URL returns the /ws URL server (ws://host/ws) asking for this client's
// protocol version (PROTOCOL.md, negotiation).
func URL(server string) string {
	sep := "?"
	if strings.Contains(server, "?") {
		sep = "&"
	}
	return server + sep + "v=" + strconv.Itoa(protocol.Version)
}

// Subscription tuning.
const (
	// marginDiv: the area subscribed is the visible one grown by a quarter
	// of its width and height on each side (2.25 times the boxes). The
	// server applies at most one area change per viewport interval
	// (200 ms), and a change reaches the screen after a round trip and up
	// to a tick more: about 0.3–0.4 s in all. A quarter screen of margin
	// covers a pan of up to ~0.6 screens a second, a brisk drag, without
	// the leading edge showing unknown boxes; a wider one would cost
	// changes nobody sees (at 2,000 toggles/s a 64×40 view so subscribes
	// to 96×60 boxes: about 11 changes a second, 0.7 MB an hour).
	marginDiv = 4
	// minMargin keeps a margin on tiny views.
	minMargin = 4
	// shrinkFactor: after zooming in, the subscription is narrowed once it
	// holds this many times the boxes it needs.
	shrinkFactor = 4
)

// viewState is the session's subscription.
type viewState struct {
	visible protocol.Area // what the screen shows, clamped to the grid
	asked   protocol.Area // the area last asked for (zero: none yet)
	due     bool          // asked is out of date
	sentAt  time.Duration
	sent    bool // a Viewport went out on this connection
	// presence is the last Presence map (nil before one arrives), gen
	// counts the maps received.
	presence *protocol.Presence
	gen      int
}

// SetView tells the session which boxes the screen shows (clamped to the
// grid). On a version-2 connection it keeps the subscribed area around
// them: a new area is asked for when the view leaves it or has shrunk well
// inside it, at most once per Welcome's viewport interval.
func (s *Session) SetView(visible protocol.Area) {
	if visible.Valid() != nil {
		return
	}
	s.view.visible = visible
	if !s.welcomed || s.welcome.Version < protocol.Version2 {
		return
	}
	a := s.view.asked
	inside := a.W != 0 && visible.X >= a.X && visible.Y >= a.Y &&
		visible.X+visible.W <= a.X+a.W && visible.Y+visible.H <= a.Y+a.H
	if inside && a.Boxes() <= shrinkFactor*withMargin(visible).Boxes() {
		return
	}
	if want := withMargin(visible); want != s.view.asked {
		s.view.due = true
	}
}

// withMargin grows v by the margin on each side, within the grid.
func withMargin(v protocol.Area) protocol.Area {
	mx := max(int(v.W)/marginDiv, minMargin)
	my := max(int(v.H)/marginDiv, minMargin)
	x0, y0 := max(int(v.X)-mx, 0), max(int(v.Y)-my, 0)
	x1 := min(int(v.X)+int(v.W)+mx, protocol.GridWidth)
	y1 := min(int(v.Y)+int(v.H)+my, protocol.GridHeight)
	return protocol.Area{X: uint16(x0), Y: uint16(y0), W: uint16(x1 - x0), H: uint16(y1 - y0)}
}

// viewport appends a Viewport frame to dst if one is due and the interval
// since the last one has passed.
func (s *Session) viewport(dst [][]byte, now time.Duration) [][]byte {
	if !s.view.due || !s.welcomed || s.welcome.Version < protocol.Version2 || s.view.visible.W == 0 {
		return dst
	}
	interval := time.Duration(s.welcome.ViewportInterval) * time.Millisecond
	if s.view.sent && now-s.view.sentAt < interval {
		return dst
	}
	a := withMargin(s.view.visible)
	s.view.asked, s.view.due, s.view.sentAt, s.view.sent = a, false, now, true
	return append(dst, protocol.AppendViewport(nil, protocol.Viewport{Area: a}))
}

// newConnection forgets what was asked on the last connection: a new one
// starts on the whole grid and asks again.
func (s *Session) newConnection() {
	s.view.asked, s.view.sent = protocol.Area{}, false
	s.view.due = s.view.visible.W != 0
}

// handleView applies a version-2 frame.
func (s *Session) handleView(t protocol.FrameType, f []byte) error {
	switch t {
	case protocol.TypeAreaSnapshot:
		snap, err := protocol.DecodeAreaSnapshot(f)
		if err == nil {
			err = s.board.ApplyAreaSnapshot(snap)
		}
		if err != nil {
			return fmt.Errorf("%w: %w", ErrFrame, err)
		}
		s.awaiting, s.resyncQueued = false, false
	case protocol.TypeAreaDelta:
		if s.awaiting {
			return nil
		}
		d, err := protocol.DecodeAreaDelta(f)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrFrame, err)
		}
		switch err := s.board.ApplyAreaDelta(d); {
		case errors.Is(err, board.ErrGap), errors.Is(err, board.ErrOutside), errors.Is(err, board.ErrUnsynced):
			s.gaps++
			s.awaiting, s.resyncQueued = true, true
			s.board.Unsync()
		case err != nil:
			return fmt.Errorf("%w: %w", ErrFrame, err)
		}
	case protocol.TypePresence:
		p, err := protocol.DecodePresence(f)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrFrame, err)
		}
		s.view.presence = &p
		s.view.gen++
	}
	return nil
}

// Presence returns the last presence map (cell side and counts per cell,
// row-major: 0 none, protocol.PresenceSome, or a count ≥ 3), or ok false
// before one arrived. The slice is the session's; do not modify it.
func (s *Session) Presence() (cell int, counts []uint32, ok bool) {
	if s.view.presence == nil {
		return 0, nil, false
	}
	return s.view.presence.Cell, s.view.presence.Counts, true
}

// Near returns how many other players look near the centre of the view:
// the cells around it (3×3), counting "some" as one and the player itself
// out. more is true when a "some" cell could hold one more than counted.
func (s *Session) Near() (n int, more bool) {
	p := s.view.presence
	v := s.view.visible
	if p == nil || v.W == 0 {
		return 0, false
	}
	cols := protocol.GridWidth / p.Cell
	cx, cy := (int(v.X)+int(v.W)/2)/p.Cell, (int(v.Y)+int(v.H)/2)/p.Cell
	for y := max(cy-1, 0); y <= min(cy+1, cols-1); y++ {
		for x := max(cx-1, 0); x <= min(cx+1, cols-1); x++ {
			switch c := p.Counts[y*cols+x]; c {
			case 0:
			case protocol.PresenceSome:
				n++
				more = true
			default:
				n += int(c)
			}
		}
	}
	// This player is counted in its own cell when it follows an area.
	if a := s.board.Area(); a.W != 0 && !a.Whole() {
		n--
	}
	return max(n, 0), more
}

// PresenceGen counts the presence maps received, so a renderer knows when
// to redraw.
func (s *Session) PresenceGen() int { return s.view.gen }

// Known reports whether box i is exact on the board: only those may be set.
func (s *Session) Known(i uint32) bool { return s.board.Known(i) }

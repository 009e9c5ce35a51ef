package session

import (
	"errors"
	"testing"
	"time"

	"checkgrid/protocol"
	"checkgrid/wasm/link"
)

func announceFrame(t *testing.T, a protocol.Announce) []byte {
	t.Helper()
	f, err := protocol.AppendAnnounce(nil, a)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestAnnouncementShownUntilDismissedOrExpired: an Announce shows until
// its seconds run out, a withdrawal of its id, a later one, or the
// player's dismissal, which a copy sent after a reconnect does not undo;
// a bad Announce is a bad frame.
func TestAnnouncementShownUntilDismissedOrExpired(t *testing.T) {
	s := started(t, "....", 256, 20, 60)
	if _, ok := s.Announcement(0); ok {
		t.Fatal("an announcement before any arrived")
	}
	at := time.Second
	if err := s.handle(announceFrame(t, protocol.Announce{ID: 5, TTL: 60, Text: "Back at six"}), at); err != nil {
		t.Fatal(err)
	}
	if text, ok := s.Announcement(at + 59*time.Second); !ok || text != "Back at six" {
		t.Fatalf("announcement %q %v", text, ok)
	}
	if _, ok := s.Announcement(at + 60*time.Second); ok {
		t.Fatal("shown after its 60 s")
	}
	handle(t, s, announceFrame(t, protocol.Announce{ID: 4}))
	if _, ok := s.Announcement(at); !ok {
		t.Fatal("the withdrawal of another id took it down")
	}
	handle(t, s, announceFrame(t, protocol.Announce{ID: 3, TTL: 60, Text: "older"}))
	if text, _ := s.Announcement(at); text != "Back at six" {
		t.Fatalf("an older id replaced it: %q", text)
	}
	handle(t, s, announceFrame(t, protocol.Announce{ID: 5}))
	if _, ok := s.Announcement(at); ok {
		t.Fatal("shown after its withdrawal")
	}

	handle(t, s, announceFrame(t, protocol.Announce{ID: 6, TTL: 600, Text: "Freeze at 18:00"}))
	s.DismissAnnouncement()
	if _, ok := s.Announcement(0); ok {
		t.Fatal("shown after dismissal")
	}
	// A reconnect: the server sends it again after Welcome.
	s.setLink(link.Connected, nil)
	handle(t, s, welcome(256, 20, 60))
	handle(t, s, announceFrame(t, protocol.Announce{ID: 6, TTL: 500, Text: "Freeze at 18:00"}))
	if _, ok := s.Announcement(0); ok {
		t.Fatal("a dismissed announcement came back after a reconnect")
	}
	handle(t, s, announceFrame(t, protocol.Announce{ID: 7, TTL: 600, Text: "New one"}))
	if text, ok := s.Announcement(0); !ok || text != "New one" {
		t.Fatalf("a new announcement after a dismissal: %q %v", text, ok)
	}

	bad := announceFrame(t, protocol.Announce{ID: 8, TTL: 5, Text: "a b"})
	bad[12] = '\n'
	if err := s.handle(bad, 0); !errors.Is(err, ErrFrame) || !errors.Is(err, protocol.ErrField) {
		t.Fatalf("a control character: %v, want a bad frame", err)
	}
}

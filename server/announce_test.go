package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/admin"

	"github.com/coder/websocket"
)

// listener is a raw WebSocket client of some protocol version that reads
// frames and remembers the Announce frames and the seq it has seen.
type listener struct {
	t    *testing.T
	c    *websocket.Conn
	ver  int
	seen map[protocol.FrameType]int
}

// hear dials the server asking for version v (whole grid) and reads up
// to its first snapshot.
func hear(t *testing.T, ctx context.Context, ws string, v int) *listener {
	t.Helper()
	c, _, err := websocket.Dial(ctx, ws+"?v="+strconv.Itoa(v), nil)
	if err != nil {
		t.Fatalf("dial v=%d: %v", v, err)
	}
	c.SetReadLimit(protocol.MaxServerMessage)
	t.Cleanup(func() { c.CloseNow() })
	l := &listener{t: t, c: c, ver: v, seen: map[protocol.FrameType]int{}}
	l.until(ctx, func(f []byte) bool { return protocol.FrameType(f[0]) == protocol.TypeSnapshot })
	if l.seen[protocol.TypeWelcome] != 1 {
		t.Fatalf("v=%d: snapshot before Welcome", v)
	}
	return l
}

// until reads frames until one satisfies ok and returns it.
func (l *listener) until(ctx context.Context, ok func(f []byte) bool) []byte {
	l.t.Helper()
	for {
		_, f, err := l.c.Read(ctx)
		if err != nil {
			l.t.Fatalf("v=%d: read: %v", l.ver, err)
		}
		t, err := protocol.PeekType(f)
		if err != nil {
			l.t.Fatalf("v=%d: frame % x: %v", l.ver, f[:min(len(f), 16)], err)
		}
		l.seen[t]++
		if t == protocol.TypeWelcome {
			if w, err := protocol.DecodeWelcome(f); err != nil || int(w.Version) != l.ver {
				l.t.Fatalf("v=%d: Welcome %+v %v", l.ver, w, err)
			}
		}
		if ok(f) {
			return f
		}
	}
}

// announcement reads until an Announce frame and decodes it.
func (l *listener) announcement(ctx context.Context) protocol.Announce {
	l.t.Helper()
	f := l.until(ctx, func(f []byte) bool { return protocol.FrameType(f[0]) == protocol.TypeAnnounce })
	a, err := protocol.DecodeAnnounce(f)
	if err != nil {
		l.t.Fatalf("Announce % x: %v", f, err)
	}
	return a
}

// deltaWith reads until a Delta holding box i, and reports whether an
// Announce came before it.
func (l *listener) deltaWith(ctx context.Context, i uint32) (announced bool) {
	l.t.Helper()
	before := l.seen[protocol.TypeAnnounce]
	l.until(ctx, func(f []byte) bool {
		if protocol.FrameType(f[0]) != protocol.TypeDelta {
			return false
		}
		d, err := protocol.DecodeDelta(f)
		if err != nil {
			l.t.Fatalf("Delta: %v", err)
		}
		idx, _ := d.AppendIndexes(nil)
		for _, x := range idx {
			if x == i {
				return true
			}
		}
		return false
	})
	return l.seen[protocol.TypeAnnounce] > before
}

// TestAnnouncementReachesEveryone: an announcement reaches every open
// version-3 connection and one that joins while it is up (with the
// seconds it has left), never a version-2 one; its withdrawal reaches them
// too and a later joiner gets nothing; both are in the audit log; bad
// requests are refused with a reason and change nothing.
func TestAnnouncementReachesEveryone(t *testing.T) {
	c := startConsole(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var open []*listener
	for range 3 {
		open = append(open, hear(t, ctx, c.ts.WS, 3))
	}
	old := hear(t, ctx, c.ts.WS, 2)
	p := c.ts.dial(ctx)

	const text = "Maintenance at 18:00 UTC: the grid pauses for a minute ✓"
	code, body := c.do("POST", "/api/admin/announce", map[string]any{"text": text, "for": "10m"})
	if code != http.StatusOK {
		t.Fatalf("announce: %d %s", code, body)
	}
	var made admin.Announcement
	if err := json.Unmarshal(body, &made); err != nil || made.ID == 0 || made.Text != text || time.Until(made.Until) > 10*time.Minute || time.Until(made.Until) < 9*time.Minute {
		t.Fatalf("announce answered %s (%v)", body, err)
	}
	for i, l := range open {
		a := l.announcement(ctx)
		if a.ID != made.ID || a.Text != text || a.TTL > 600 || a.TTL < 590 {
			t.Errorf("open client %d got %+v", i, a)
		}
	}
	joiner := hear(t, ctx, c.ts.WS, 3)
	if a := joiner.announcement(ctx); a.ID != made.ID || a.Text != text || a.TTL > 600 || a.TTL < 590 {
		t.Errorf("joiner got %+v", a)
	}
	// A Delta made after the announcement reaches the version-2 client
	// after anything sent before it: no Announce may precede it.
	flip(t, ctx, p, 4242)
	if old.deltaWith(ctx, 4242) {
		t.Errorf("a version-2 client got an Announce")
	}
	if code, body := c.do("GET", "/api/admin/announce", nil); code != http.StatusOK || !strings.Contains(string(body), `"id":`) {
		t.Errorf("GET announce: %d %s", code, body)
	}

	if code, body := c.do("DELETE", "/api/admin/announce", nil); code != http.StatusOK {
		t.Fatalf("withdraw: %d %s", code, body)
	}
	for i, l := range append(open, joiner) {
		if a := l.announcement(ctx); a.ID != made.ID || !a.Withdrawn() {
			t.Errorf("client %d: withdrawal %+v", i, a)
		}
	}
	late := hear(t, ctx, c.ts.WS, 3)
	flip(t, ctx, p, 4243)
	if late.deltaWith(ctx, 4243) {
		t.Errorf("a client joining after the withdrawal got an Announce")
	}
	if code, _ := c.do("GET", "/api/admin/announce", nil); code != http.StatusNotFound {
		t.Errorf("GET announce with none up: %d, want 404", code)
	}
	if code, _ := c.do("DELETE", "/api/admin/announce", nil); code != http.StatusNotFound {
		t.Errorf("DELETE announce with none up: %d, want 404", code)
	}

	for _, bad := range []map[string]any{
		{"text": ""},
		{"text": "two\nlines"},
		{"text": strings.Repeat("a", protocol.MaxAnnounceText+1)},
		{"text": "hi", "for": "169h"},
		{"text": "hi", "for": "soon"},
		{"text": "hi", "color": "red"},
	} {
		if code, body := c.do("POST", "/api/admin/announce", bad); code != http.StatusBadRequest || len(body) == 0 {
			t.Errorf("announce %v: %d %s, want 400 with a reason", bad, code, body)
		}
	}
	var actions []string
	for _, e := range c.audit() {
		actions = append(actions, e.Action)
		if e.Action == "announce" && !strings.Contains(e.Detail, text) {
			t.Errorf("audit line %+v does not say what was announced", e)
		}
	}
	if strings.Join(actions, ",") != "announce,unannounce" {
		t.Errorf("audit log actions %v, want announce, unannounce", actions)
	}
}

// TestAnnounceCommand: checkgrid admin announce, announcement, unannounce.
func TestAnnounceCommand(t *testing.T) {
	c := startConsole(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	l := hear(t, ctx, c.ts.WS, 3)
	run := func(args ...string) (int, string, string) {
		var out, errOut strings.Builder
		code := admin.Main(append([]string{"-url", c.URL, "-data", c.ts.Data}, args...), func(string) string { return "" }, &out, &errOut)
		return code, out.String(), errOut.String()
	}
	if code, out, errOut := run("announce", "-for", "5m", "Back", "soon"); code != 0 || !strings.Contains(out, `"Back soon"`) {
		t.Fatalf("announce: exit %d %q %q", code, out, errOut)
	}
	if a := l.announcement(ctx); a.Text != "Back soon" || a.TTL > 300 || a.TTL < 290 {
		t.Errorf("got %+v", a)
	}
	if code, out, _ := run("announcement"); code != 0 || !strings.Contains(out, "Back soon") {
		t.Errorf("announcement: exit %d %q", code, out)
	}
	if code, _, errOut := run("unannounce"); code != 0 {
		t.Errorf("unannounce: exit %d %q", code, errOut)
	}
	if a := l.announcement(ctx); !a.Withdrawn() {
		t.Errorf("got %+v, want the withdrawal", a)
	}
	if code, _, errOut := run("announcement"); code != 1 || !strings.Contains(errOut, "404") {
		t.Errorf("announcement with none up: exit %d %q", code, errOut)
	}
	if code, _, _ := run("announce"); code != 2 {
		t.Errorf("announce without text: exit %d, want 2", code)
	}
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"checkgrid/server/admin"
	"checkgrid/server/announce"
)

// TestAnnouncementSurvivesRestart: an announcement made on a single
// process is up again after a restart on the same data directory (same
// id, the time it had left), for players joining then and for GET; one
// whose expiry passed while the server was down is not shown.
func TestAnnouncementSurvivesRestart(t *testing.T) {
	c := startConsole(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const text = "Back in five minutes"
	code, body := c.do("POST", "/api/admin/announce", map[string]any{"text": text, "for": "10m"})
	if code != http.StatusOK {
		t.Fatalf("announce: %d %s", code, body)
	}
	var made admin.Announcement
	if err := json.Unmarshal(body, &made); err != nil {
		t.Fatal(err)
	}
	c.ts.Stop()

	c2 := startConsole(t, "-data", c.ts.Data)
	if a := hear(t, ctx, c2.ts.WS, 3).announcement(ctx); a.ID != made.ID || a.Text != text || a.TTL > 600 || a.TTL < 500 {
		t.Errorf("a player joining after the restart got %+v, want id %d %q with under 600 s left", a, made.ID, text)
	}
	code, body = c2.do("GET", "/api/admin/announce", nil)
	var got admin.Announcement
	if err := json.Unmarshal(body, &got); code != http.StatusOK || err != nil || got != made {
		t.Errorf("GET after the restart: %d %s, want %+v", code, body, made)
	}
	// A newer one after the restart has a larger id.
	code, body = c2.do("POST", "/api/admin/announce", map[string]any{"text": "newer"})
	var newer admin.Announcement
	if err := json.Unmarshal(body, &newer); code != http.StatusOK || err != nil || newer.ID <= made.ID {
		t.Errorf("a newer announcement: %d %s, want an id above %d", code, body, made.ID)
	}
	c2.ts.Stop()

	// Expired while down: the record says until an hour ago.
	past := announce.Record{Version: 1, ID: newer.ID, Text: "stale", Until: time.Now().Add(-time.Hour).UTC().Truncate(time.Second)}
	b, err := announce.Encode(past)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(c.ts.Data, announce.File), b, 0o600); err != nil {
		t.Fatal(err)
	}
	c3 := startConsole(t, "-data", c.ts.Data)
	if code, body := c3.do("GET", "/api/admin/announce", nil); code != http.StatusNotFound {
		t.Errorf("GET with an expired announcement on file: %d %s, want 404", code, body)
	}
	l := hear(t, ctx, c3.ts.WS, 3)
	p := c3.ts.dial(ctx)
	flip(t, ctx, p, 777)
	if l.deltaWith(ctx, 777) {
		t.Errorf("a player joining got an announcement that expired while the server was down")
	}

	// A file that is not a record fails the start with a reason.
	if err := os.WriteFile(filepath.Join(c.ts.Data, announce.File), []byte(`{"version":1,"id":0,"text":"x","until":"2030-01-01T00:00:00Z"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	c3.ts.Stop()
	cfg, err := parseConfig([]string{"-addr", "127.0.0.1:0", "-data", c.ts.Data}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, cfg, io.Discard, nil); err == nil || !errors.Is(err, announce.ErrFile) {
		t.Errorf("start with a bad announcement file: %v, want %v", err, announce.ErrFile)
	}
}

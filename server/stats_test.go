package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"checkgrid/server/admin"
	"checkgrid/server/peer"
)

// TestAdminStats: the console's figures count what real players did over
// real WebSockets (two boxes changed: toggles, seq and checked say 2),
// the fan-out histogram has the server's buckets, and the data directory
// and its disk have a size; `checkgrid admin stats` prints the same.
func TestAdminStats(t *testing.T) {
	c := startConsole(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p := c.ts.dial(ctx)
	flip(t, ctx, p, 10)
	seq := flip(t, ctx, p, 11)

	code, body := c.do("GET", "/api/admin/stats", nil)
	var st admin.Stats
	if err := json.Unmarshal(body, &st); code != http.StatusOK || err != nil {
		t.Fatalf("stats: %d %s %v", code, body, err)
	}
	if st.Toggles != 2 || st.Seq != seq || st.Checked != 2 || st.Players != 1 || st.Connections != 1 {
		t.Errorf("stats after one player changed two boxes at seq %d: %s", seq, body)
	}
	f := st.Fanout
	if len(f.Bounds) == 0 || len(f.Bounds) != len(f.Counts) {
		t.Errorf("fan-out buckets: %+v", f)
	}
	for i := 1; i < len(f.Counts); i++ {
		if f.Counts[i] < f.Counts[i-1] || f.Bounds[i] <= f.Bounds[i-1] {
			t.Errorf("fan-out buckets not cumulative: %+v", f)
		}
	}
	if st.DataBytes <= 0 || st.DiskSize == 0 || st.DiskFree > st.DiskSize {
		t.Errorf("data %d bytes, disk %d free of %d", st.DataBytes, st.DiskFree, st.DiskSize)
	}
	var out, errOut strings.Builder
	if code := admin.Main([]string{"-url", c.URL, "-data", c.ts.Data, "stats"}, func(string) string { return "" }, &out, &errOut); code != 0 || !strings.Contains(out.String(), `"fanout_seconds"`) {
		t.Errorf("checkgrid admin stats: exit %d %q %q", code, out.String(), errOut.String())
	}
}

// TestAdminListenerServesGame: the admin listener serves the game itself
// (the page, its assets' route, /ws and the public API), so the console
// calls /api/admin/ from its own origin; a player connected there plays
// like anywhere. The Host check holds for the page too.
func TestAdminListenerServesGame(t *testing.T) {
	c := startConsole(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := http.Get(c.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "checkgrid.wasm") {
		t.Fatalf("GET / on the admin listener: %d %.200s", resp.StatusCode, page)
	}
	if code, _ := c.do("GET", "/", nil, "Host", "evil.example"); code != http.StatusMisdirectedRequest {
		t.Errorf("the page for another Host: %d, want 421", code)
	}
	op, err := peer.Dial(ctx, "ws"+strings.TrimPrefix(c.URL, "http")+"/ws", peer.Options{})
	if err != nil {
		t.Fatalf("/ws on the admin listener: %v", err)
	}
	defer op.Conn.CloseNow()
	player := c.ts.dial(ctx)
	flip(t, ctx, player, 42)
	for !op.Grid.Get(42) {
		if _, err := op.Next(ctx); err != nil {
			t.Fatalf("the console's connection never saw a player's change: %v", err)
		}
	}
	if code, body := c.doAt(c.URL, "GET", "/api/stats", nil, "Authorization", ""); code != http.StatusOK || !strings.Contains(string(body), `"online"`) {
		t.Errorf("/api/stats on the admin listener: %d %s", code, body)
	}
	if code, _ := c.do("GET", "/metrics", nil); code != http.StatusOK {
		t.Errorf("/metrics still served: %d", code)
	}
}

package main

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"checkgrid/server/admin"
)

// TestClusterAnnouncementReachesEveryNode: in cluster mode (real
// JetStream, two nodes), an announcement made through node A's admin
// API reaches a player on node B within a second and a player joining B
// afterwards; B's API answers it; its withdrawal on B reaches a player
// on A.
func TestClusterAnnouncementReachesEveryNode(t *testing.T) {
	a, b, ctx := twoNodes(t)
	onA, onB := hear(t, ctx, a.ts.WS, 3), hear(t, ctx, b.ts.WS, 3)

	const text = "The cluster speaks"
	code, body := a.do("POST", "/api/admin/announce", map[string]any{"text": text, "for": "10m"})
	if code != http.StatusOK {
		t.Fatalf("announce on A: %d %s", code, body)
	}
	made := time.Now()
	var ann admin.Announcement
	if err := json.Unmarshal(body, &ann); err != nil {
		t.Fatal(err)
	}
	second, stop := context.WithTimeout(ctx, time.Second)
	defer stop()
	if got := onB.announcement(second); got.ID != ann.ID || got.Text != text {
		t.Errorf("the player on B got %+v, want id %d %q", got, ann.ID, text)
	} else {
		t.Logf("the announcement made on A reached a player on B in %v", time.Since(made))
	}
	if got := hear(t, ctx, b.ts.WS, 3).announcement(ctx); got.ID != ann.ID || got.Text != text || got.TTL > 600 {
		t.Errorf("a player joining B got %+v", got)
	}
	code, body = b.do("GET", "/api/admin/announce", nil)
	var onBsAPI admin.Announcement
	if err := json.Unmarshal(body, &onBsAPI); code != http.StatusOK || err != nil || onBsAPI != ann {
		t.Errorf("GET on B: %d %s, want %+v", code, body, ann)
	}
	if got := onA.announcement(ctx); got.ID != ann.ID {
		t.Errorf("the player on A got %+v", got)
	}

	if code, body := b.do("DELETE", "/api/admin/announce", nil); code != http.StatusOK {
		t.Fatalf("withdraw on B: %d %s", code, body)
	}
	second, stop = context.WithTimeout(ctx, time.Second)
	defer stop()
	if got := onA.announcement(second); got.ID != ann.ID || !got.Withdrawn() {
		t.Errorf("the player on A got %+v, want the withdrawal of %d", got, ann.ID)
	}
	if code, body := a.do("GET", "/api/admin/announce", nil); code != http.StatusNotFound {
		t.Errorf("GET on A after the withdrawal on B: %d %s, want 404", code, body)
	}
}

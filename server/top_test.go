package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/admin"
	"checkgrid/server/tally"
)

// TestTopLists: the operator's top lists name the player and the address
// that changed the most boxes and had the most refused, with their
// counts, from real Sets over real WebSockets.
func TestTopLists(t *testing.T) {
	c := startConsole(t, "-rate", "1", "-burst", "5", "-addr-burst", "1000")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	greedy, modest := c.ts.dial(ctx), c.ts.dial(ctx)
	var ten []protocol.Change
	for i := range 10 {
		ten = append(ten, protocol.Change{Index: uint32(300 + i), Value: true})
	}
	if err := greedy.Set(ctx, ten...); err != nil {
		t.Fatal(err)
	}
	for greedy.LastReject.Count == 0 || !greedy.Grid.Get(304) {
		if _, err := greedy.Next(ctx); err != nil {
			t.Fatal(err)
		}
	}
	flip(t, ctx, modest, 900)
	flip(t, ctx, modest, 901)

	code, body := c.do("GET", "/api/admin/top?n=5", nil)
	var top tally.Top
	if err := json.Unmarshal(body, &top); code != http.StatusOK || err != nil {
		t.Fatalf("top: %d %s %v", code, body, err)
	}
	byT, byR := top.PlayersByToggled, top.PlayersByRefused
	if len(byT) != 2 || byT[0].Counts != (tally.Counts{Toggled: 5, Refused: 5}) || byT[1].Counts != (tally.Counts{Toggled: 2}) {
		t.Errorf("players by toggled: %+v", byT)
	}
	if len(byR) != 1 || byR[0].Key != byT[0].Key || byR[0].Refused != 5 {
		t.Errorf("players by refused: %+v", byR)
	}
	if a := top.AddressesByToggled; len(a) != 1 || a[0].Key != "127.0.0.1/32" || a[0].Counts != (tally.Counts{Toggled: 7, Refused: 5}) {
		t.Errorf("addresses by toggled: %+v", a)
	}
	if code, _ := c.do("GET", "/api/admin/top?n=0", nil); code != http.StatusBadRequest {
		t.Errorf("n=0: %d, want 400", code)
	}
	var out, errOut strings.Builder
	if code := admin.Main([]string{"-url", c.URL, "-data", c.ts.Data, "top", "1"}, func(string) string { return "" }, &out, &errOut); code != 0 || !strings.Contains(out.String(), `"players_by_refused"`) {
		t.Errorf("checkgrid admin top 1: exit %d %q %q", code, out.String(), errOut.String())
	}
}

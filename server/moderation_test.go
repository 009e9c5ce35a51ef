package main

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/identity"
	"checkgrid/server/moderation"
	"checkgrid/server/peer"
)

// try sends changes through p and reads until each has either shown up in
// p's grid or been refused; it returns the refused boxes and the last
// Reject.
func try(t *testing.T, ctx context.Context, p *peer.Peer, changes ...protocol.Change) ([]uint32, protocol.Reject) {
	t.Helper()
	before := len(p.RejectedBoxes)
	if err := p.Set(ctx, changes...); err != nil {
		t.Fatal(err)
	}
	for {
		refused := p.RejectedBoxes[before:]
		done := true
		for _, ch := range changes {
			if !slices.Contains(refused, ch.Index) && p.Grid.Get(ch.Index) != ch.Value {
				done = false
				break
			}
		}
		if done {
			return slices.Clone(refused), p.LastReject
		}
		if _, err := p.Next(ctx); err != nil {
			t.Fatalf("waiting for %d changes to land or be refused: %v", len(changes), err)
		}
	}
}

func check(idx ...uint32) []protocol.Change {
	out := make([]protocol.Change, len(idx))
	for i, x := range idx {
		out[i] = protocol.Change{Index: x, Value: true}
	}
	return out
}

// player dials with a fresh signed identity and returns its id.
func player(t *testing.T, ctx context.Context, ts *testServer) (*peer.Peer, string) {
	t.Helper()
	resp, _ := get(t, ts.URL+"/", "")
	for _, ck := range resp.Cookies() {
		if ck.Name != identity.Cookie {
			continue
		}
		key, err := identity.LoadKey(filepath.Join(ts.Data, identityKeyFile))
		if err != nil {
			t.Fatal(err)
		}
		id, err := identity.New(key).Verify(ck.Value)
		if err != nil {
			t.Fatal(err)
		}
		p, err := peer.Dial(ctx, ts.WS, peer.Options{Header: http.Header{"Cookie": {ck.String()}}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Conn.CloseNow() })
		return p, id
	}
	t.Fatal("no identity cookie")
	return nil, ""
}

// TestFreezeRefusesInsideOnly: a Set into a frozen area is refused there
// with Reject frozen (retry-after 0: no known time) and applied outside it;
// a whole-grid freeze refuses everything; the operator's own fill still
// goes through; unfreezing lets players back in; each step is audited.
func TestFreezeRefusesInsideOnly(t *testing.T) {
	c := startConsole(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p := c.ts.dial(ctx)
	code, body := c.do("POST", "/api/admin/freezes", map[string]any{"area": "10,10,5,5", "reason": "vandalism"})
	var f moderation.Freeze
	if code != http.StatusOK || json.Unmarshal(body, &f) != nil || f.Area != "10,10,5,5" {
		t.Fatalf("freeze: %d %s", code, body)
	}
	inside, outside := uint32(12*1000+12), uint32(12*1000+20)
	refused, r := try(t, ctx, p, check(inside, outside, 10*1000+14)...)
	if !slices.Equal(refused, []uint32{10*1000 + 14, inside}) || r.Reason != protocol.RejectFrozen || r.RetryAfterMS != 0 {
		t.Fatalf("refused %v, reject %+v; want the two inside boxes, frozen, retry 0", refused, r)
	}
	if !p.Grid.Get(outside) {
		t.Fatal("the box outside the frozen area was not applied")
	}
	code, body = c.do("POST", "/api/admin/fill", map[string]any{"area": "10,10,2,2", "value": true})
	var fr struct{ Seq uint64 }
	if code != http.StatusOK || json.Unmarshal(body, &fr) != nil {
		t.Fatalf("operator fill in a frozen area: %d %s", code, body)
	}
	converge(t, ctx, p, fr.Seq)
	if !p.Grid.Get(10*1000 + 11) {
		t.Fatal("the operator's fill inside the frozen area is not seen")
	}

	code, body = c.do("POST", "/api/admin/freezes", map[string]any{"reason": "the end"})
	var whole moderation.Freeze
	if code != http.StatusOK || json.Unmarshal(body, &whole) != nil || whole.Area != "" {
		t.Fatalf("whole freeze: %d %s", code, body)
	}
	if refused, r := try(t, ctx, p, check(500_000)...); len(refused) != 1 || r.Reason != protocol.RejectFrozen {
		t.Fatalf("whole grid frozen: refused %v, %+v", refused, r)
	}
	for _, id := range []uint64{whole.ID, f.ID} {
		if code, body := c.do("DELETE", "/api/admin/freezes/"+strconv.FormatUint(id, 10), nil); code != http.StatusOK {
			t.Fatalf("unfreeze %d: %d %s", id, code, body)
		}
	}
	if code, _ := c.do("DELETE", "/api/admin/freezes/"+strconv.FormatUint(f.ID, 10), nil); code != http.StatusNotFound {
		t.Fatalf("unfreezing twice: %d, want 404", code)
	}
	if refused, _ := try(t, ctx, p, check(inside, 500_000)...); len(refused) != 0 {
		t.Fatalf("after unfreezing, refused %v", refused)
	}
	var actions []string
	for _, e := range c.audit() {
		actions = append(actions, e.Action)
	}
	if want := []string{"freeze", "fill", "freeze", "unfreeze", "unfreeze"}; !slices.Equal(actions, want) {
		t.Fatalf("audit actions %v, want %v", actions, want)
	}
}

// TestBansHoldAndSurviveRestart: a banned player's toggles are refused with
// Reject banned (retry-after the time to the ban's end) while another
// player on the same address plays on; a banned address refuses everyone
// on it; the banned still see the grid change; after a restart the bans
// hold, and lifting them lets the player play again.
func TestBansHoldAndSurviveRestart(t *testing.T) {
	c := startConsole(t)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	bad, badID := player(t, ctx, c.ts)
	good, _ := player(t, ctx, c.ts)

	code, body := c.do("POST", "/api/admin/bans", map[string]any{"player": badID, "for": "1h", "reason": "swastikas"})
	var pb moderation.Ban
	if code != http.StatusOK || json.Unmarshal(body, &pb) != nil || pb.Player != badID || pb.Until == nil {
		t.Fatalf("ban player: %d %s", code, body)
	}
	refused, r := try(t, ctx, bad, check(1, 2)...)
	if len(refused) != 2 || r.Reason != protocol.RejectBanned || r.RetryAfterMS < 3_590_000 || r.RetryAfterMS > 3_600_000 {
		t.Fatalf("banned player: refused %v, %+v (want both, banned, about an hour)", refused, r)
	}
	if refused, _ := try(t, ctx, good, check(3)...); len(refused) != 0 {
		t.Fatalf("a player beside the banned one refused %v", refused)
	}
	converge(t, ctx, bad, good.Seq) // the banned player still sees the grid
	if !bad.Grid.Get(3) {
		t.Fatal("the banned player does not see others' changes")
	}

	code, body = c.do("POST", "/api/admin/bans", map[string]any{"prefix": "127.0.0.1", "reason": "bot farm"})
	var ab moderation.Ban
	if code != http.StatusOK || json.Unmarshal(body, &ab) != nil || ab.Prefix != "127.0.0.1/32" || ab.Until != nil {
		t.Fatalf("ban address: %d %s", code, body)
	}
	if refused, r := try(t, ctx, good, check(4)...); len(refused) != 1 || r.Reason != protocol.RejectBanned || r.RetryAfterMS != 0 {
		t.Fatalf("player on a banned address: refused %v, %+v (want banned, retry 0)", refused, r)
	}
	for _, bad := range []map[string]any{
		{"prefix": "10.0.0.0/8"}, {"prefix": "2001:db8::/16"}, {"prefix": "2001:db8::/96"}, {"prefix": "nonsense"},
		{"player": "x", "prefix": "10.0.0.1"}, {}, {"player": "x", "for": "-1h"}, {"player": "x", "until": "2001-01-01T00:00:00Z"},
	} {
		if code, body := c.do("POST", "/api/admin/bans", bad); code != http.StatusBadRequest {
			t.Errorf("ban %v: %d %s, want 400", bad, code, body)
		}
	}

	c.ts.Stop()
	c2 := startConsole(t, "-data", c.ts.Data)
	bad2, err := peer.Dial(ctx, c2.ts.WS, peer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer bad2.Conn.CloseNow()
	if refused, r := try(t, ctx, bad2, check(5)...); len(refused) != 1 || r.Reason != protocol.RejectBanned {
		t.Fatalf("after a restart the address ban does not hold: refused %v, %+v", refused, r)
	}
	var list moderation.List
	code, body = c2.do("GET", "/api/admin/bans", nil)
	if code != http.StatusOK || json.Unmarshal(body, &list) != nil || len(list.Bans) != 2 {
		t.Fatalf("bans after restart: %d %s", code, body)
	}
	for _, b := range list.Bans {
		if code, body := c2.do("DELETE", "/api/admin/bans/"+strconv.FormatUint(b.ID, 10), nil); code != http.StatusOK {
			t.Fatalf("unban %d: %d %s", b.ID, code, body)
		}
	}
	if refused, _ := try(t, ctx, bad2, check(5)...); len(refused) != 0 {
		t.Fatalf("after unbanning, refused %v", refused)
	}
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/admin"
	"checkgrid/server/peer"

	"github.com/coder/websocket"
)

// issueBot issues a bot token through the admin API.
func (c *console) issueBot(name string, rate, burst int) admin.Issued {
	c.t.Helper()
	code, body := c.do("POST", "/api/admin/bots", map[string]any{"name": name, "rate": rate, "burst": burst})
	var is admin.Issued
	if err := json.Unmarshal(body, &is); code != http.StatusOK || err != nil || is.Secret == "" {
		c.t.Fatalf("issue: %d %s %v", code, body, err)
	}
	return is
}

// dialBot connects with a bot token, or returns the refusal's status and
// text.
func dialBot(ctx context.Context, ws, token string) (*peer.Peer, int, string) {
	p, err := peer.Dial(ctx, ws, peer.Options{Header: http.Header{"Authorization": {"Bearer " + token}}})
	if err == nil {
		return p, http.StatusSwitchingProtocols, ""
	}
	c, resp, derr := websocket.Dial(ctx, ws, &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + token}}})
	if derr == nil {
		c.CloseNow()
		return nil, 0, fmt.Sprintf("peer refused (%v) but a second dial succeeded", err)
	}
	if resp == nil {
		return nil, 0, derr.Error()
	}
	b, _ := io.ReadAll(resp.Body)
	return nil, resp.StatusCode, string(b)
}

func (ts *testServer) stats() map[string]any {
	ts.t.Helper()
	resp, err := http.Get(ts.URL + "/api/stats")
	if err != nil {
		ts.t.Fatal(err)
	}
	defer resp.Body.Close()
	var s map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		ts.t.Fatal(err)
	}
	return s
}

// TestBotLane: a program with a bot token toggles at its token's quota,
// is refused past it (Reject rate, with the wait), is counted apart from
// players (Stats' bots and bot_toggles, not online; metrics), and is cut
// off with 4008 at once when the token is revoked, after which the token
// is refused with the reason; bad tokens get clear refusals; tokens and
// revocations survive a restart; issue and revoke are audited.
func TestBotLane(t *testing.T) {
	c := startConsole(t, "-metrics-on-main")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const rate, burst = 5, 20
	is := c.issueBot("painter", rate, burst)
	if is.Rate != rate || is.Burst != burst || !strings.HasPrefix(is.Secret, "cgbot_") {
		t.Fatalf("issued %+v", is)
	}
	bot, code, why := dialBot(ctx, c.ts.WS, is.Secret)
	if bot == nil {
		t.Fatalf("bot refused: %d %s", code, why)
	}
	player := c.ts.dial(ctx)

	// The whole burst is taken.
	t0 := time.Now()
	var first []protocol.Change
	for i := range burst {
		first = append(first, protocol.Change{Index: uint32(10_000 + i), Value: true})
	}
	if err := bot.Set(ctx, first...); err != nil {
		t.Fatal(err)
	}
	for !bot.Grid.Get(10_000 + burst - 1) {
		if _, err := bot.Next(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if bot.LastReject.Count != 0 {
		t.Fatalf("the burst was refused in part: %+v", bot.LastReject)
	}
	// Past it, refused for rate, with a wait; at most what refilled since
	// is taken.
	var more []protocol.Change
	for i := range 10 {
		more = append(more, protocol.Change{Index: uint32(20_000 + i), Value: true})
	}
	if err := bot.Set(ctx, more...); err != nil {
		t.Fatal(err)
	}
	for bot.LastReject.Count == 0 {
		if _, err := bot.Next(ctx); err != nil {
			t.Fatal(err)
		}
	}
	refilled := int(time.Since(t0).Seconds()*rate) + 1
	if r := bot.LastReject; r.Reason != protocol.RejectRate || r.RetryAfterMS == 0 || int(r.Count) < 10-refilled {
		t.Fatalf("past its quota: %+v (at most %d could have refilled)", r, refilled)
	}
	// The player's own budget is untouched by the bot's: one box.
	flip(t, ctx, player, 500)

	granted := 10 - int(bot.LastReject.Count)
	wantBot := float64(burst + granted)
	var s map[string]any
	deadline := time.Now().Add(10 * time.Second)
	for {
		s = c.ts.stats()
		if s["bot_toggles"] == wantBot && s["toggles"] == wantBot+1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if s["bot_toggles"] != wantBot || s["toggles"] != wantBot+1 || s["bots"] != 1.0 || s["online"] != 1.0 || s["connections"] != 2.0 {
		t.Errorf("stats %v: want %v bot toggles of %v, 1 bot, 1 player online, 2 connections", s, wantBot, wantBot+1)
	}
	if got := c.ts.metric("checkgrid_bot_toggles_total"); got != wantBot {
		t.Errorf("checkgrid_bot_toggles_total %v, want %v", got, wantBot)
	}
	if got := c.ts.metric("checkgrid_bot_connections"); got != 1 {
		t.Errorf("checkgrid_bot_connections %v, want 1", got)
	}

	// Bad tokens.
	for tok, want := range map[string]string{
		"nonsense": "malformed",
		"cgbot_" + fmt.Sprint(is.ID) + "_" + strings.Repeat("0", 64): "unknown bot token",
		"cgbot_99_" + strings.Repeat("a", 64):                        "unknown bot token",
	} {
		if p, code, why := dialBot(ctx, c.ts.WS, tok); p != nil || code != http.StatusUnauthorized || !strings.Contains(why, want) {
			t.Errorf("token %q: %d %q, want 401 saying %q", tok, code, why, want)
		}
	}

	// Revoked: cut off at once, then refused.
	kept := c.issueBot("kept", 0, 0)
	code, body := c.do("DELETE", fmt.Sprintf("/api/admin/bots/%d", is.ID), nil)
	var rv admin.Revoked
	if err := json.Unmarshal(body, &rv); code != http.StatusOK || err != nil || rv.Cut != 1 || rv.RevokedAt == nil {
		t.Fatalf("revoke: %d %s", code, body)
	}
	for {
		_, err := bot.Next(ctx)
		if err == nil {
			continue
		}
		var ce websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != websocket.StatusCode(protocol.CloseRevoked) {
			t.Fatalf("revoked bot's connection ended with %v, want close %d", err, protocol.CloseRevoked)
		}
		break
	}
	if p, code, why := dialBot(ctx, c.ts.WS, is.Secret); p != nil || code != http.StatusUnauthorized || !strings.Contains(why, "revoked") {
		t.Errorf("revoked token: %d %q, want 401 saying revoked", code, why)
	}
	if code, _ := c.do("DELETE", "/api/admin/bots/999", nil); code != http.StatusNotFound {
		t.Errorf("revoke of no token: %d, want 404", code)
	}
	for _, bad := range []map[string]any{{"name": ""}, {"name": "x", "rate": 10_001}, {"name": "x", "burst": -1}, {"name": "x", "colour": 1}} {
		if code, body := c.do("POST", "/api/admin/bots", bad); code != http.StatusBadRequest || len(body) == 0 {
			t.Errorf("issue %v: %d %s, want 400 with a reason", bad, code, body)
		}
	}
	var actions []string
	for _, e := range c.audit() {
		actions = append(actions, e.Action)
		if strings.Contains(e.Detail, is.Secret) || strings.Contains(e.Detail, kept.Secret) {
			t.Errorf("a token's secret is in the audit log: %+v", e)
		}
	}
	if got := strings.Join(actions, ","); got != "bot_issue,bot_issue,bot_revoke" {
		t.Errorf("audit actions %s", got)
	}

	// After a restart: the kept token works, the revoked one stays revoked.
	c.ts.Stop()
	ts := startServer(t, "-data", c.ts.Data)
	if p, code, why := dialBot(ctx, ts.WS, kept.Secret); p == nil {
		t.Errorf("kept token after a restart: %d %s", code, why)
	} else {
		p.Conn.CloseNow()
	}
	if p, code, why := dialBot(ctx, ts.WS, is.Secret); p != nil || code != http.StatusUnauthorized || !strings.Contains(why, "revoked") {
		t.Errorf("revoked token after a restart: %d %q", code, why)
	}
}

// TestBotCommand: checkgrid admin bot-issue, bots, bot-revoke.
func TestBotCommand(t *testing.T) {
	c := startConsole(t)
	run := func(args ...string) (int, string, string) {
		var out, errOut strings.Builder
		code := admin.Main(append([]string{"-url", c.URL, "-data", c.ts.Data}, args...), func(string) string { return "" }, &out, &errOut)
		return code, out.String(), errOut.String()
	}
	code, out, errOut := run("bot-issue", "-rate", "50", "-burst", "500", "mapper")
	var is admin.Issued
	if err := json.Unmarshal([]byte(out), &is); code != 0 || err != nil || is.Rate != 50 || is.Burst != 500 || !strings.HasPrefix(is.Secret, "cgbot_") {
		t.Fatalf("bot-issue: exit %d %q %q", code, out, errOut)
	}
	if code, out, _ := run("bots"); code != 0 || !strings.Contains(out, `"mapper"`) || strings.Contains(out, is.Secret) || strings.Contains(out, "sha256") {
		t.Errorf("bots: exit %d %q", code, out)
	}
	if code, out, errOut := run("bot-revoke", fmt.Sprint(is.ID)); code != 0 || !strings.Contains(out, "revoked_at") {
		t.Errorf("bot-revoke: exit %d %q %q", code, out, errOut)
	}
	if code, _, _ := run("bot-issue"); code != 2 {
		t.Errorf("bot-issue without a name: exit %d, want 2", code)
	}
}

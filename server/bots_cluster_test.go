package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/admin"
	"checkgrid/server/peer"

	"github.com/coder/websocket"
)

// TestClusterBotTokenRevokedOnEveryNode: in cluster mode (real JetStream,
// two nodes), a bot token issued through node A's admin API lets a
// program play on node B (within a second), B lists it, and its
// revocation on A cuts the program's connection to B off with 4008 within
// a second, after which B refuses the token as revoked. The top lists are
// each node's own, and say so.
func TestClusterBotTokenRevokedOnEveryNode(t *testing.T) {
	a, b, ctx := twoNodes(t)

	is := a.issueBot("painter", 0, 0)
	issued := time.Now()
	second, stop := context.WithTimeout(ctx, time.Second)
	defer stop()
	pace := time.NewTicker(10 * time.Millisecond)
	defer pace.Stop()
	var bot *peer.Peer
	for bot == nil {
		p, code, why := dialBot(second, b.ts.WS, is.Secret)
		if p != nil {
			bot = p
			break
		}
		select {
		case <-second.Done():
			t.Fatalf("the token issued on A is not taken by B within a second: %d %s", code, why)
		case <-pace.C:
		}
	}
	t.Cleanup(func() { bot.Conn.CloseNow() })
	t.Logf("a token issued on A was taken by B %v later", time.Since(issued))
	setUntil(t, ctx, bot, 5000, false) // the bot plays through B
	if code, body := b.do("GET", "/api/admin/bots", nil); code != http.StatusOK || !strings.Contains(string(body), `"painter"`) {
		t.Errorf("B's list: %d %s", code, body)
	}
	code, body := b.do("GET", "/api/admin/top", nil)
	var top admin.TopList
	botKey := fmt.Sprintf("bot:%d", is.ID)
	if err := json.Unmarshal(body, &top); code != http.StatusOK || err != nil || top.Scope != "node" || top.Node != "b" ||
		len(top.PlayersByToggled) == 0 || top.PlayersByToggled[0].Key != botKey || top.PlayersByToggled[0].Toggled < 1 {
		t.Errorf("B's top lists: %d %s, want scope node, node b, %s first by toggled", code, body, botKey)
	}
	if s := b.ts.stats(); s["bot_toggles"] == 0.0 || s["bots"] != 1.0 {
		t.Errorf("B's stats %v: want the bot's toggles counted apart", s)
	}

	code, body = a.do("DELETE", fmt.Sprintf("/api/admin/bots/%d", is.ID), nil)
	if code != http.StatusOK {
		t.Fatalf("revoke on A: %d %s", code, body)
	}
	revoked := time.Now()
	second, stop = context.WithTimeout(ctx, time.Second)
	defer stop()
	for {
		_, err := bot.Next(second)
		if err == nil {
			continue
		}
		var ce websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != websocket.StatusCode(protocol.CloseRevoked) {
			t.Fatalf("the bot's connection to B ended with %v, want close %d within a second of the revocation on A", err, protocol.CloseRevoked)
		}
		break
	}
	t.Logf("revoked on A, cut off on B %v later", time.Since(revoked))
	if p, code, why := dialBot(ctx, b.ts.WS, is.Secret); p != nil || code != http.StatusUnauthorized || !strings.Contains(why, "revoked") {
		t.Errorf("the revoked token on B: %d %q, want 401 saying revoked", code, why)
	}
}

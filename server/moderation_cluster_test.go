package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/moderation"
	"checkgrid/server/peer"
	"checkgrid/tools/jsserver"
)

// startJetStream runs a real 3-server JetStream cluster (what the nodes'
// R3 stream and buckets need) on loopback for the test.
func startJetStream(t testing.TB) string {
	t.Helper()
	var urls []string
	for _, s := range jsserver.ForTest(t, 3) {
		urls = append(urls, s.URL())
	}
	return strings.Join(urls, ",")
}

// twoNodes starts a real JetStream cluster and two nodes on it, a and b,
// each with its operator console, and the context that bounds the test.
func twoNodes(t *testing.T) (a, b *console, ctx context.Context) {
	t.Helper()
	nats := startJetStream(t)
	a = startConsole(t, "-nats", nats, "-node", "a")
	b = startConsole(t, "-nats", nats, "-node", "b")
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	t.Cleanup(cancel)
	return a, b, ctx
}

// setUntil sets fresh boxes from p, one at a time, until a Set is refused
// with reason (true) or taken (false) — whichever the caller waits for —
// and returns when that first happened. Attempts are paced (50 a second
// at most: refusals come back at once, and the message budget is 100 a
// second).
func setUntil(t *testing.T, ctx context.Context, p *peer.Peer, first uint32, refused bool) time.Time {
	t.Helper()
	pace := time.NewTicker(20 * time.Millisecond)
	defer pace.Stop()
	for box := first; ; box++ {
		if box != first {
			<-pace.C
		}
		p.LastReject = protocol.Reject{}
		if err := p.Set(ctx, protocol.Change{Index: box, Value: true}); err != nil {
			t.Fatal(err)
		}
		for !p.Grid.Get(box) && p.LastReject.Count == 0 {
			if _, err := p.Next(ctx); err != nil {
				t.Fatalf("waiting for box %d (refused: %v): %v", box, refused, err)
			}
		}
		switch r := p.LastReject; {
		case r.Count > 0 && r.Reason == protocol.RejectBanned:
			if refused {
				return time.Now()
			}
		case r.Count > 0 && r.Reason != protocol.RejectStorage:
			t.Fatalf("box %d refused for %v", box, r.Reason)
		case p.Grid.Get(box) && !refused:
			return time.Now()
		}
	}
}

// TestClusterBanHoldsOnEveryNode: in cluster mode (real JetStream, two
// nodes), a ban made through node A's admin API refuses a player on node
// B within a second, B lists it, and its lifting on B lets a player on A
// play again within a second.
func TestClusterBanHoldsOnEveryNode(t *testing.T) {
	a, b, ctx := twoNodes(t)
	onA, onB := a.ts.dial(ctx), b.ts.dial(ctx)
	setUntil(t, ctx, onB, 1000, false) // the cluster commits (a sequencer holds the lease)

	code, body := a.do("POST", "/api/admin/bans", map[string]any{"prefix": "127.0.0.1", "reason": "test"})
	if code != http.StatusOK {
		t.Fatalf("ban on A: %d %s", code, body)
	}
	var ban moderation.Ban
	if err := json.Unmarshal(body, &ban); err != nil {
		t.Fatal(err)
	}
	banned := time.Now()
	// Within a second, or the wait fails (its context ends).
	second, stop := context.WithTimeout(ctx, time.Second)
	defer stop()
	if took := setUntil(t, second, onB, 2000, true).Sub(banned); took > time.Second {
		t.Errorf("the ban made on A held on B after %v, want within a second", took)
	} else {
		t.Logf("the ban made on A held on B within %v", took)
	}
	if code, body := b.do("GET", "/api/admin/bans", nil); code != http.StatusOK || !strings.Contains(string(body), `"127.0.0.1/32"`) {
		t.Errorf("B's list: %d %s", code, body)
	}

	if code, body := b.do("DELETE", fmt.Sprintf("/api/admin/bans/%d", ban.ID), nil); code != http.StatusOK {
		t.Fatalf("unban on B: %d %s", code, body)
	}
	lifted := time.Now()
	second, stop = context.WithTimeout(ctx, time.Second)
	defer stop()
	if took := setUntil(t, second, onA, 3000, false).Sub(lifted); took > time.Second {
		t.Errorf("the ban lifted on B still held on A after %v", took)
	}
}

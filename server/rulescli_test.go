package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/admin"
	"checkgrid/server/moderation"
)

// TestRulesCommand: checkgrid admin freeze, freezes, unfreeze, ban, bans,
// unban act on a real server: a frozen area refuses a player's box, a
// banned prefix refuses everything, and both lift.
func TestRulesCommand(t *testing.T) {
	c := startConsole(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p := c.ts.dial(ctx)
	run := func(args ...string) (int, string) {
		var out, errOut strings.Builder
		code := admin.Main(append([]string{"-url", c.URL, "-data", c.ts.Data}, args...), func(string) string { return "" }, &out, &errOut)
		return code, out.String() + errOut.String()
	}
	refusedFor := func(box uint32) protocol.RejectReason {
		p.LastReject = protocol.Reject{}
		if err := p.Set(ctx, protocol.Change{Index: box, Value: true}); err != nil {
			t.Fatal(err)
		}
		for !p.Grid.Get(box) && p.LastReject.Count == 0 {
			if _, err := p.Next(ctx); err != nil {
				t.Fatal(err)
			}
		}
		return p.LastReject.Reason
	}

	code, out := run("freeze", "-reason", "a drawing to keep", "10,10,5,5")
	var f moderation.Freeze
	if err := json.Unmarshal([]byte(out), &f); code != 0 || err != nil || f.Area != "10,10,5,5" {
		t.Fatalf("freeze: exit %d %q", code, out)
	}
	if r := refusedFor(12*1000 + 12); r != protocol.RejectFrozen {
		t.Errorf("a box inside the frozen area: reason %v, want frozen", r)
	}
	if code, out := run("freezes"); code != 0 || !strings.Contains(out, "a drawing to keep") {
		t.Errorf("freezes: exit %d %q", code, out)
	}
	if code, out := run("unfreeze", fmt.Sprint(f.ID)); code != 0 {
		t.Errorf("unfreeze: exit %d %q", code, out)
	}
	if r := refusedFor(12*1000 + 12); r != 0 {
		t.Errorf("after unfreeze: refused for %v", r)
	}

	code, out = run("ban", "-prefix", "127.0.0.1", "-for", "1h", "-reason", "test")
	var b moderation.Ban
	if err := json.Unmarshal([]byte(out), &b); code != 0 || err != nil || b.Prefix != "127.0.0.1/32" || b.Until == nil {
		t.Fatalf("ban: exit %d %q", code, out)
	}
	if r := refusedFor(5000); r != protocol.RejectBanned {
		t.Errorf("a banned address's box: reason %v, want banned", r)
	}
	if code, out := run("bans"); code != 0 || !strings.Contains(out, "127.0.0.1/32") {
		t.Errorf("bans: exit %d %q", code, out)
	}
	if code, out := run("unban", fmt.Sprint(b.ID)); code != 0 {
		t.Errorf("unban: exit %d %q", code, out)
	}
	if r := refusedFor(5001); r != 0 {
		t.Errorf("after unban: refused for %v", r)
	}
	for _, bad := range [][]string{{"ban"}, {"ban", "-player", "x", "-prefix", "1.2.3.4"}, {"freeze", "1,2"}, {"unban"}, {"freezes", "x"}} {
		if code, out := run(bad...); code == 0 {
			t.Errorf("%v: exit 0 %q, want a refusal", bad, out)
		}
	}
}

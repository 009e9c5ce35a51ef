package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/admin"
)

// historyGrid waits (within ctx) until the node at base serves the grid
// at seq from its history API, and returns it.
func historyGrid(t *testing.T, ctx context.Context, base string, seq uint64) *protocol.Bitset {
	t.Helper()
	pace := time.NewTicker(20 * time.Millisecond)
	defer pace.Stop()
	for {
		code, hdr, body := hget(t, fmt.Sprintf("%s/api/history/snapshot?seq=%d", base, seq))
		if code == http.StatusOK {
			s, err := protocol.DecodeSnapshot(body)
			g := new(protocol.Bitset)
			if err == nil {
				err = s.Bits(g)
			}
			if err != nil || hdr.Get("X-Seq") != strconv.FormatUint(seq, 10) {
				t.Fatalf("%s: history snapshot at %d: %v %v", base, seq, err, hdr)
			}
			return g
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: history snapshot at %d: %d %s", base, seq, code, body)
		case <-pace.C:
		}
	}
}

// areaIs reports whether every box of a in g is v(i).
func areaIs(g *protocol.Bitset, a protocol.Area, v func(uint32) bool) bool {
	for y := uint32(a.Y); y < uint32(a.Y+a.H); y++ {
		for x := uint32(a.X); x < uint32(a.X+a.W); x++ {
			if g.Get(y*1000+x) != v(y*1000+x) {
				return false
			}
		}
	}
	return true
}

// TestClusterRollbackSeenOnEveryNode: in cluster mode (real JetStream,
// two nodes), the operator's box-changing actions go through the
// sequencer: a fill made through node A's admin API (vandalism of a
// 20×20 area) reaches a player on node B; B's preview counts the boxes a
// rollback would change; the rollback made on A reaches the player on B,
// and both nodes' history API has it at its seq (the area restored there,
// vandalised one seq before).
func TestClusterRollbackSeenOnEveryNode(t *testing.T) {
	a, b, ctx := twoNodes(t)
	onB := b.ts.dial(ctx)
	setUntil(t, ctx, onB, 1000, false) // the cluster commits (a sequencer holds the lease)
	before := onB.Seq

	area := protocol.Area{X: 100, Y: 200, W: 20, H: 20}
	const areaS = "100,200,20,20"
	code, body := a.do("POST", "/api/admin/fill", map[string]any{"area": areaS, "value": true})
	var vandal admin.Result
	if code != http.StatusOK || json.Unmarshal(body, &vandal) != nil || vandal.Boxes != 400 || vandal.Seq <= before {
		t.Fatalf("fill on A: %d %s, want 400 boxes after seq %d", code, body, before)
	}
	converge(t, ctx, onB, vandal.Seq)
	waitArea(t, ctx, onB, area, func(uint32) bool { return true })

	code, body = b.do("GET", "/api/admin/rollback?area="+areaS+"&seq="+strconv.FormatUint(before, 10), nil)
	var pv admin.Preview
	if code != http.StatusOK || json.Unmarshal(body, &pv) != nil || pv.Boxes != 400 || pv.To != before {
		t.Fatalf("preview on B: %d %s, want 400 boxes to seq %d", code, body, before)
	}

	code, body = a.do("POST", "/api/admin/rollback", map[string]any{"area": areaS, "seq": strconv.FormatUint(before, 10)})
	var rb admin.RollbackResult
	if code != http.StatusOK || json.Unmarshal(body, &rb) != nil || rb.Boxes != 400 || rb.To != before || rb.Seq <= vandal.Seq {
		t.Fatalf("rollback on A: %d %s, want 400 boxes to %d at a seq after %d", code, body, before, vandal.Seq)
	}
	rolled := time.Now()
	converge(t, ctx, onB, rb.Seq)
	waitArea(t, ctx, onB, area, func(uint32) bool { return false })
	t.Logf("the rollback answered on A at seq %d; the player on B had it %v later", rb.Seq, time.Since(rolled))

	for _, node := range []*console{a, b} {
		if g := historyGrid(t, ctx, node.ts.URL, rb.Seq); !areaIs(g, area, func(uint32) bool { return false }) {
			t.Errorf("%s: history at seq %d does not have the area rolled back", node.ts.URL, rb.Seq)
		}
		if g := historyGrid(t, ctx, node.ts.URL, rb.Seq-1); !areaIs(g, area, func(uint32) bool { return true }) {
			t.Errorf("%s: history at seq %d (before the rollback) does not have the vandalism", node.ts.URL, rb.Seq-1)
		}
	}
	// Nothing left to roll back, as B's preview says.
	code, body = b.do("GET", "/api/admin/rollback?area="+areaS+"&seq="+strconv.FormatUint(before, 10), nil)
	if code != http.StatusOK || json.Unmarshal(body, &pv) != nil || pv.Boxes != 0 {
		t.Errorf("preview on B after the rollback: %d %s, want 0 boxes", code, body)
	}
	if es := a.audit(); len(es) != 2 || es[0].Action != "fill" || es[1].Action != "rollback" || es[1].Seq != rb.Seq {
		t.Errorf("A's audit log %+v, want fill then rollback at seq %d", es, rb.Seq)
	}
}

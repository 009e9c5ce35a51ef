package main

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"checkgrid/protocol"
	"checkgrid/wasm/fetch"
	"checkgrid/wasm/operator"
)

// TestConsoleClient: the in-game console's calls (wasm/operator, here
// built natively) against a real server's admin API: the shapes it
// decodes are the server's (figures, top lists, a preview's count, the
// grid at a seq, each action's result), a wrong token is ErrToken, the
// public listener is ErrNoConsole, a bad request is ErrRefused with the
// server's reason.
func TestConsoleClient(t *testing.T) {
	c := startConsole(t, "-admin-rate", "1000")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p := c.ts.dial(ctx)
	picture := flip(t, ctx, p, 1001) // box (1,1)
	for _, i := range []uint32{1000, 1002, 2001} {
		flip(t, ctx, p, i)
	}
	cl := &operator.Client{Base: c.URL, Token: c.Token, HTTP: fetch.Client{HTTP: http.DefaultClient}}
	area := protocol.Area{X: 0, Y: 1, W: 3, H: 2} // boxes 1000-1002, 2000-2002

	st, err := cl.Stats(ctx)
	if err != nil || st.Toggles != 4 || st.Checked != 4 || st.Players != 1 || len(st.Fanout.Counts) == 0 || st.DataBytes == 0 {
		t.Fatalf("stats %+v %v", st, err)
	}
	top, err := cl.Top(ctx, 2)
	if err != nil || len(top.PlayersByToggled) != 1 || top.PlayersByToggled[0].Toggled != 4 {
		t.Fatalf("top %+v %v", top, err)
	}
	pv, err := cl.Preview(ctx, area, picture)
	if err != nil || pv.Boxes != 3 || pv.To != picture || pv.Area != "0,1,3,2" {
		t.Fatalf("preview to seq %d: %+v %v", picture, pv, err)
	}
	then, err := cl.GridAt(ctx, picture)
	if err != nil || !then.Get(1001) || then.Get(1000) || then.Get(2001) {
		t.Fatalf("the grid at seq %d: %v", picture, err)
	}
	rb, err := cl.Rollback(ctx, area, picture)
	if err != nil || rb.Boxes != 3 || rb.To != picture || rb.Seq <= picture {
		t.Fatalf("rollback %+v %v", rb, err)
	}
	fill, err := cl.Fill(ctx, area, true)
	if err != nil || fill.Boxes != 5 || fill.Seq <= rb.Seq {
		t.Fatalf("fill %+v %v", fill, err)
	}
	fr, err := cl.Freeze(ctx, area, "test")
	if err != nil || fr.ID == 0 || fr.Area != "0,1,3,2" {
		t.Fatalf("freeze %+v %v", fr, err)
	}
	if n, err := cl.Unfreeze(ctx, area); n != 1 || err != nil {
		t.Fatalf("unfreeze: %d %v", n, err)
	}
	if n, err := cl.Unfreeze(ctx, area); n != 0 || err != nil {
		t.Fatalf("unfreeze of nothing: %d %v", n, err)
	}
	if _, err := cl.Fill(ctx, protocol.Area{X: 999, Y: 0, W: 2, H: 1}, true); !errors.Is(err, operator.ErrRefused) {
		t.Errorf("an area past the grid's edge: %v, want ErrRefused", err)
	}
	wrong := &operator.Client{Base: c.URL, Token: "0123456789abcdef0123", HTTP: fetch.Client{HTTP: http.DefaultClient}}
	if _, err := wrong.Stats(ctx); !errors.Is(err, operator.ErrToken) {
		t.Errorf("wrong token: %v, want ErrToken", err)
	}
	public := &operator.Client{Base: c.ts.URL, Token: c.Token, HTTP: fetch.Client{HTTP: http.DefaultClient}}
	if _, err := public.Stats(ctx); !errors.Is(err, operator.ErrNoConsole) {
		t.Errorf("the public listener: %v, want ErrNoConsole", err)
	}
}

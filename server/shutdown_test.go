package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"checkgrid/protocol"

	"github.com/coder/websocket"
)

func TestGracefulShutdownPersistsAndSaysReconnect(t *testing.T) {
	// Ticks far apart: the last change is applied but not yet published
	// when the shutdown begins.
	ts := startServer(t, "-tick", "5s", "-max-tick", "5s")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p := ts.dial(ctx)
	seq := flip(t, ctx, p, 500)
	if err := p.Set(ctx, protocol.Change{Index: 501, Value: true}); err != nil {
		t.Fatal(err)
	}
	for stats(t, ts).Toggles != 2 { // applied to the live grid
		time.Sleep(10 * time.Millisecond)
	}
	stopped := make(chan struct{})
	go func() {
		ts.Stop()
		close(stopped)
	}()
	// The shutdown flushes the last tick and delivers it before 1001.
	var err error
	for err == nil {
		_, err = p.Next(ctx)
	}
	<-stopped
	if !p.Grid.Get(501) || p.Seq != seq+1 {
		t.Fatalf("client saw seq %d (box 501 %v) before the close: the last tick was not delivered", p.Seq, p.Grid.Get(501))
	}
	if code := websocket.CloseStatus(err); code != websocket.StatusCode(protocol.CloseGoingAway) || !protocol.CloseGoingAway.Reconnect() {
		t.Fatalf("clients were closed with %v (%v), want 1001 going away", code, err)
	}
	// The shutdown wrote a checkpoint at the last seq.
	entries, _ := os.ReadDir(ts.Data)
	var ckpts []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".ckpt") {
			ckpts = append(ckpts, e.Name())
		}
	}
	if len(ckpts) == 0 {
		t.Fatalf("no checkpoint in %s after shutdown: %v", ts.Data, entries)
	}
	ts2 := startServer(t, "-data", ts.Data)
	g, at := ts2.snapshot()
	if at != seq+1 || !g.Get(500) || !g.Get(501) || g.Count() != 2 {
		t.Fatalf("after restart: seq %d (want %d), %d checked", at, seq+1, g.Count())
	}
	if _, err := os.Stat(filepath.Join(ts.Data, "identity.key")); err != nil {
		t.Fatalf("identity key not kept: %v", err)
	}
}

type statsJSON struct {
	Checked int64  `json:"checked"`
	Online  int64  `json:"online"`
	Seq     uint64 `json:"seq"`
	Toggles uint64 `json:"toggles"`
}

func stats(t *testing.T, ts *testServer) statsJSON {
	t.Helper()
	resp, err := http.Get(ts.URL + "/api/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s statsJSON
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

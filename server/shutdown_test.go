package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"checkgrid/protocol"

	"github.com/coder/websocket"
)

func TestGracefulShutdownPersistsAndSaysReconnect(t *testing.T) {
	ts := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p := ts.dial(ctx)
	seq := flip(t, ctx, p, 500)
	// A change set just before shutdown must be flushed, not lost.
	if err := p.Set(ctx, protocol.Change{Index: 501, Value: true}); err != nil {
		t.Fatal(err)
	}
	for !p.Grid.Get(501) {
		if _, err := p.Next(ctx); err != nil {
			t.Fatal(err)
		}
	}
	ts.Stop()
	var err error
	for err == nil {
		_, err = p.Next(ctx)
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

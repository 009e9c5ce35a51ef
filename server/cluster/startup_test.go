package cluster

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"checkgrid/protocol"
	"checkgrid/tools/jsserver"
)

// waits is a slog handler that reports each startup step seen waiting
// for JetStream (untilUp's log line), once per step.
type waits struct {
	mu   sync.Mutex
	seen map[string]bool
	step chan string
}

func (w *waits) Enabled(context.Context, slog.Level) bool { return true }
func (w *waits) WithAttrs([]slog.Attr) slog.Handler       { return w }
func (w *waits) WithGroup(string) slog.Handler            { return w }
func (w *waits) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "waiting for JetStream" {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "step" {
			w.mu.Lock()
			first := !w.seen[a.Value.String()]
			w.seen[a.Value.String()] = true
			w.mu.Unlock()
			if first {
				w.step <- a.Value.String()
			}
		}
		return true
	})
	return nil
}

// noticeSink takes announcements and drops them.
type noticeSink struct{}

func (noticeSink) Announce(context.Context, protocol.Announce, time.Time) error { return nil }

// The chaos test's outage (CI, stop 28): a node restarted while a
// JetStream server was restarting got no answer within one timeout on
// one of its startup steps and exited. Every step a server takes after
// Open — the identity key, the keyframe bucket, the operator's shared
// documents — now waits for JetStream instead: here each one starts
// while the cluster has lost its quorum and must succeed once it is back.
func TestStartupStepsWaitOutAQuorumLoss(t *testing.T) {
	js := startJS(t)
	w := &waits{seen: map[string]bool{}, step: make(chan string, 16)}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	n, err := Open(ctx, Config{URLs: urls(js)[:1], OnlyURLs: true, Node: "a", Logger: slog.New(w)})
	if err != nil {
		t.Fatal(err)
	}
	defer n.nc.Close()

	var down []jsserver.Options
	for _, s := range js[1:] {
		down = append(down, s.Opts)
		s.Stop()
	}
	steps := map[string]func() error{
		"key_identity":            func() error { _, err := n.SharedKey(ctx, "identity", 32); return err },
		"keyframe bucket":         func() error { _, err := n.HistoryLog(ctx); return err },
		"shared " + moderationKey: func() error { _, err := n.Moderation(ctx); return err },
		"shared " + botsKey:       func() error { _, err := n.Bots(ctx); return err },
		"shared " + announceKey:   func() error { _, err := n.Announcements(ctx, noticeSink{}); return err },
	}
	errs := make(chan error, len(steps))
	for _, step := range steps {
		go func() { errs <- step() }()
	}
	// Every step waits (or fails, which the test reports below) before
	// the quorum comes back.
	for waiting := 0; waiting < len(steps); {
		select {
		case s := <-w.step:
			if steps[s] != nil { // not Open's own wait for a forming cluster
				waiting++
			}
		case err := <-errs:
			t.Fatalf("a startup step gave up while JetStream had no quorum: %v", err)
		}
	}
	for _, o := range down {
		s, err := jsserver.Start(o)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Stop)
	}
	for range steps {
		if err := <-errs; err != nil {
			t.Fatalf("a startup step failed after the quorum came back: %v", err)
		}
	}
}

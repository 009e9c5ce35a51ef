package cluster

import (
	"context"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/pipeline"
	"checkgrid/tools/jsserver"
)

// startJS runs a real 3-server JetStream cluster (R3 file storage in a
// temp dir, free loopback ports) for the test.
func startJS(t testing.TB) []*jsserver.Server {
	t.Helper()
	return jsserver.ForTest(t, 3)
}

func urls(ss []*jsserver.Server) []string {
	var u []string
	for _, s := range ss {
		u = append(u, s.URL())
	}
	return u
}

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("CHECKGRID_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// node is a running Node and a replica built only from what its Feed
// yields, checked step by step with the same rules a hub applies.
type node struct {
	*Node
	cancel context.CancelFunc
	done   chan error
	steps  chan pipeline.Committed // every step, for tests that look at them
}

func startNode(t *testing.T, cfg Config) *node {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	n, err := Open(ctx, cfg)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	rctx, stop := context.WithCancel(context.Background())
	tn := &node{Node: n, cancel: stop, done: make(chan error, 1), steps: make(chan pipeline.Committed, 1<<16)}
	go func() { tn.done <- n.Run(rctx) }()
	t.Cleanup(tn.stop)
	return tn
}

func (n *node) stop() {
	n.cancel()
	<-n.done
	n.done <- nil // later stops return at once
}

// replica applies a feed's steps through a protocol.Replica and fails the
// test on any gap.
type replica struct {
	protocol.Replica
	frames map[uint64][]byte
	reset  int
}

func (r *replica) apply(t *testing.T, c pipeline.Committed) {
	t.Helper()
	if c.Frame == nil {
		r.Reset(0, c.Seq, c.Grid)
		r.reset++
		return
	}
	d, err := protocol.DecodeDelta(c.Frame)
	if err != nil || d.Seq != c.Seq {
		t.Fatalf("step %d: %v (frame seq %d)", c.Seq, err, d.Seq)
	}
	boxes, err := r.ApplyDelta(d)
	if err != nil {
		t.Fatalf("feed: %v", err)
	}
	if !slices.Equal(boxes, c.Boxes) {
		t.Fatalf("step %d: boxes %v, the frame flips %v", c.Seq, c.Boxes, boxes)
	}
	if r.frames == nil {
		r.frames = make(map[uint64][]byte)
	}
	r.frames[c.Seq] = c.Frame
}

// until applies n's feed to r until cond holds or the deadline passes.
func (r *replica) until(t *testing.T, n *node, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.After(d)
	for !cond() {
		select {
		case c := <-n.Feed():
			r.apply(t, c)
		case <-deadline:
			t.Fatalf("%s: condition not met in %v (replica at seq %d)", n.Name(), d, r.Seq)
		}
	}
}

// waitWritable waits until n has a sequencer to send Sets to.
func waitWritable(t *testing.T, n *node, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !n.Writable() {
		if time.Now().After(deadline) {
			t.Fatalf("%s not writable after %v", n.Name(), d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func itoa(v uint64) string { return strconv.FormatUint(v, 10) }

// mustCommit is a Submit's lost callback for changes that must commit.
func mustCommit(t *testing.T) func([]protocol.Change) {
	return func(lost []protocol.Change) { t.Errorf("accepted changes not committed: %v", lost) }
}

package pipeline_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/metrics"
	"checkgrid/server/pipeline"
	"checkgrid/server/store"
)

// storeLog is the real write-ahead log as the Sequencer's Log (the
// server's adapter, server/durable.go, is in package main).
type storeLog struct{ s *store.Store }

func (l storeLog) Append(seq, toggles uint64, frame []byte) error {
	return l.s.Append(seq, toggles, frame)
}
func (l storeLog) Sync() error          { return l.s.Sync() }
func (l storeLog) WantCheckpoint() bool { return l.s.WantCheckpoint() }
func (l storeLog) Checkpoint(epoch, seq, toggles uint64, g *protocol.Bitset) error {
	return l.s.Checkpoint(&store.State{Epoch: epoch, Seq: seq, Toggles: toggles, Grid: *g})
}

// next is the feed's next step, failing the test after a while.
func next(t *testing.T, feed <-chan pipeline.Committed) pipeline.Committed {
	t.Helper()
	select {
	case c, ok := <-feed:
		if !ok {
			t.Fatal("feed closed")
		}
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("no committed step")
	}
	return pipeline.Committed{}
}

// Players' changes and the operator's become Deltas in seq order, each
// durable in the log before the feed has it, each carrying the boxes its
// frame flips; on stop the last changes are committed and checkpointed,
// and the directory recovers to exactly the grid the feed described.
func TestSequencerCommitsThroughTheLog(t *testing.T) {
	dir := t.TempDir()
	st, state, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	seq := pipeline.New(pipeline.Config{Tick: 2 * time.Millisecond, CheckpointOnStop: true},
		&state.Grid, state.Toggles, storeLog{st}, state.Epoch, state.Seq, metrics.New(), nil)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- seq.Run(ctx, nil) }()
	feed := seq.Feed()

	var rep protocol.Replica
	reset := next(t, feed)
	if reset.Frame != nil || reset.Seq != 0 {
		t.Fatalf("first step %+v, want a reset at 0", reset)
	}
	rep.Reset(state.Epoch, reset.Seq, reset.Grid)
	apply := func(c pipeline.Committed) {
		t.Helper()
		boxes, err := rep.Apply(c.Frame)
		if err != nil || !slices.Equal(boxes, c.Boxes) || rep.Seq != c.Seq {
			t.Fatalf("step %d: %v, boxes %v, the frame flips %v", c.Seq, err, c.Boxes, boxes)
		}
		if head := st.Head(); head.Seq < c.Seq {
			t.Fatalf("step %d fed before the log has it (log at %d)", c.Seq, head.Seq)
		}
	}

	if n, ok := seq.Submit([]protocol.Change{{Index: 7, Value: true}, {Index: 999_999, Value: true}}, nil); n != 2 || !ok || !seq.Writable() {
		t.Fatal("a healthy sequencer refused changes")
	}
	// One Delta, or two if a tick's collect raced the Sets.
	var seen []uint32
	for !rep.Grid.Get(7) || !rep.Grid.Get(999_999) {
		c := next(t, feed)
		apply(c)
		seen = append(seen, c.Boxes...)
	}
	slices.Sort(seen) // a collect racing the Sets may see the later first
	if !slices.Equal(seen, []uint32{7, 999_999}) || rep.Seq > 2 {
		t.Fatalf("Deltas up to %d flipped %v, want 7 and 999,999 in one or two", rep.Seq, seen)
	}
	flipped, at, err := seq.Impose(ctx, protocol.Area{X: 0, Y: 1, W: 3, H: 1}, func(uint32) bool { return true })
	if err != nil || flipped != 3 {
		t.Fatalf("impose: %d flipped at %d: %v", flipped, at, err)
	}
	for rep.Seq < at {
		apply(next(t, feed))
	}
	for _, i := range []uint32{1000, 1001, 1002} {
		if !rep.Grid.Get(i) || !seq.Box(i) {
			t.Fatalf("box %d not set by seq %d", i, at)
		}
	}
	seq.Submit([]protocol.Change{{Index: 5, Value: true}}, nil)
	stop() // the last change is committed on the way out
	for c := range feed {
		apply(c)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !rep.Grid.Get(5) {
		t.Fatal("the change set before the stop was not committed")
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	_, again, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if again.Seq != rep.Seq || again.Grid != rep.Grid {
		t.Fatalf("recovered seq %d (%d checked), fed seq %d (%d checked)", again.Seq, again.Grid.Count(), rep.Seq, rep.Grid.Count())
	}
}

// BeforeCut's function runs on each tick right before the collect: when
// it first runs, the change submitted before Run is not committed yet,
// and a change it submits is in the same Delta, on the feed before its
// next call.
func TestBeforeCutRunsBeforeTheCollect(t *testing.T) {
	var start protocol.Bitset
	seq := pipeline.New(pipeline.Config{Tick: time.Millisecond}, &start, 0, nil, 1, 0, metrics.New(), nil)
	feed := seq.Feed()
	seq.Submit([]protocol.Change{{Index: 7, Value: true}}, nil)
	calls := 0
	result := make(chan string, 1)
	seq.BeforeCut(func() {
		switch calls++; calls {
		case 1:
			if c := <-feed; c.Frame != nil { // Run fed the reset before its first tick
				result <- fmt.Sprintf("first step %d is not the reset", c.Seq)
				return
			}
			select {
			case c := <-feed:
				result <- fmt.Sprintf("Delta %d (%v) committed before the first cut's call", c.Seq, c.Boxes)
				return
			default:
			}
			seq.Submit([]protocol.Change{{Index: 42, Value: true}}, nil)
		case 2:
			select {
			case c := <-feed:
				if !slices.Equal(c.Boxes, []uint32{7, 42}) {
					result <- fmt.Sprintf("the first Delta flips %v, want [7 42]", c.Boxes)
					return
				}
				result <- ""
			default:
				result <- "no Delta between the first and second calls"
			}
		}
	})
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- seq.Run(ctx, nil) }()
	select {
	case msg := <-result:
		if msg != "" {
			t.Error(msg)
		}
	case <-time.After(5 * time.Second):
		t.Error("BeforeCut's function did not run twice")
	}
	stop()
	for range feed {
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

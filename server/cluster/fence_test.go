package cluster

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"checkgrid/protocol"
	"checkgrid/server/pause"
	"checkgrid/server/pipeline"
)

// holdLease takes the lease as a pretend node and keeps renewing it until
// the test ends or stop is called, so the test can drive sequencers itself.
func holdLease(t *testing.T, n *node, name string) (*tenure, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var tn *tenure
	deadline := time.Now().Add(20 * time.Second)
	for tn == nil {
		var err error
		if tn, err = acquire(ctx, n.h.lease, name, n.cfg.LeaseTTL); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("lease never free")
		}
		time.Sleep(20 * time.Millisecond)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for pause.For(ctx, n.cfg.LeaseTTL/leaseMargin) {
			_ = renew(ctx, n.h.lease, name, tn)
		}
	}()
	stop := func() { cancel(); <-done }
	t.Cleanup(stop)
	return tn, stop
}

// testSequencer is tenure tn's streamLog on node n, based on the current
// tail, driven by the test as the pipeline's Sequencer drives it: set
// boxes (directly, or through Gather's batches), then commit one Delta of
// what flipped.
type testSequencer struct {
	*streamLog
	tb    *testing.T
	g     protocol.Bitset
	flips map[uint32]bool
}

func newTestSequencer(t *testing.T, n *node, tn *tenure, sets <-chan *nats.Msg) *testSequencer {
	t.Helper()
	l := &streamLog{n: n.Node, t: tn, ctx: context.Background(), sets: sets, inFlight: map[string]uint64{}, snapTurn: 1 << 40}
	st, err := l.tail()
	if err != nil {
		t.Fatal(err)
	}
	l.snapAt = time.Now()
	return &testSequencer{streamLog: l, tb: t, g: *st.bits, flips: map[uint32]bool{}}
}

// set gives box i the value v, as the Sequencer's grid does for Gather.
func (s *testSequencer) set(i uint32, v bool) bool {
	if s.g.Get(i) == v {
		return false
	}
	s.g.Put(i, v)
	s.flips[i] = !s.flips[i]
	return true
}

// gather takes the batches that arrived, as a tick does first.
func (s *testSequencer) gather() error { return s.Gather(s.set) }

// delta is the next Delta of what flipped since the last one.
func (s *testSequencer) delta() []byte {
	var boxes []uint32
	for i, odd := range s.flips {
		if odd {
			boxes = append(boxes, i)
		}
	}
	slices.Sort(boxes)
	clear(s.flips)
	frame, err := protocol.AppendDelta(nil, s.last+1, boxes)
	if err != nil {
		s.tb.Fatal(err)
	}
	return frame
}

// tick gathers and commits what flipped (or settles, if nothing did).
func (s *testSequencer) tick() error {
	if err := s.gather(); err != nil {
		return err
	}
	odd := 0
	for _, o := range s.flips {
		if o {
			odd++
		}
	}
	if odd == 0 {
		clear(s.flips)
		s.Settle()
		return nil
	}
	return s.Append(s.last+1, uint64(s.g.Count()), s.delta())
}

func streamMsg(t *testing.T, n *node, seq uint64) *jetstream.RawStreamMsg {
	t.Helper()
	m, err := n.h.stream.GetMsg(context.Background(), seq)
	if err != nil {
		t.Fatalf("stream seq %d: %v", seq, err)
	}
	return m
}

// A publish whose ack was lost is retried with the same Nats-Msg-Id: the
// stream answers it as a duplicate of the seq it already has, and the
// sequencer moves on without a second message.
func TestRetryAfterLostAckIsIdempotent(t *testing.T) {
	js := startJS(t)
	a := startNode(t, Config{URLs: urls(js), Node: "a"})
	tn, _ := holdLease(t, a, "test")
	s := newTestSequencer(t, a, tn, nil)
	ctx := context.Background()

	s.set(10, true)
	if err := s.tick(); err != nil {
		t.Fatal(err)
	}
	first := s.last
	// The next Delta reaches the stream, but its ack never comes back:
	// publish it behind the sequencer's back, exactly as it would.
	s.set(11, true)
	frame := s.delta()
	msg := &nats.Msg{Subject: DeltaSubject, Data: frame, Header: nats.Header{}}
	msg.Header.Set(hdrToggles, "2")
	id := itoa(tn.Epoch) + "-" + itoa(first+1)
	if _, err := a.js.PublishMsg(ctx, msg, jetstream.WithExpectLastSequence(first), jetstream.WithMsgID(id)); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(first+1, 2, frame); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if s.last != first+1 || a.m.dupAcks.Load() != 1 {
		t.Fatalf("last %d (want %d), duplicate acks %d (want 1)", s.last, first+1, a.m.dupAcks.Load())
	}
	info, err := a.h.stream.Info(ctx)
	if err != nil || info.State.LastSeq != first+1 || info.State.Msgs != first+1 {
		t.Fatalf("stream: %+v %v", info.State, err)
	}
	if got := streamMsg(t, a, first+1); string(got.Data) != string(frame) {
		t.Fatal("stored Delta is not the frame")
	}
}

// A sequencer that still believes in its lease (a paused process that has
// not noticed) builds on seq L; meanwhile the real holder commits L+1. Its
// publish is refused by Nats-Expected-Last-Sequence, it finds the lease is
// not its own and steps down with ErrFenced, and what it built is in no
// feed and not in the stream.
func TestStaleSequencerIsFenced(t *testing.T) {
	js := startJS(t)
	a := startNode(t, Config{URLs: urls(js), Node: "a"})
	b := startNode(t, Config{URLs: urls(js), Node: "b"})
	var rb replica
	waitWritable(t, b, 20*time.Second)
	// a or b is the sequencer now. Build a stale one on b at the tail.
	real, err := a.h.lease.Get(context.Background(), LeaseKey)
	if err != nil {
		t.Fatal(err)
	}
	stale := newTestSequencer(t, b, &tenure{Epoch: real.Revision() - 1, ttl: time.Hour}, nil)
	stale.t.renewed.Store(monoNow())
	stale.t.rev.Store(real.Revision() - 1)
	base := stale.last

	// The real sequencer commits something on top.
	if _, ok := b.Submit([]protocol.Change{{Index: 500_000, Value: true}}, mustCommit(t)); !ok {
		t.Fatal("submit refused")
	}
	rb.until(t, b, 10*time.Second, func() bool { return rb.Grid.Get(500_000) })
	stale.set(999_999, true)
	err = stale.tick()
	if !errors.Is(err, ErrFenced) || !errors.Is(err, pipeline.ErrStepDown) {
		t.Fatalf("stale publish: %v, want ErrFenced, a step-down", err)
	}
	if b.m.fenced.Load() != 1 {
		t.Fatalf("fenced count %d", b.m.fenced.Load())
	}
	// Nothing of the stale sequencer's: the stream's Deltas after base are
	// the real sequencer's, and box 999,999 was never set anywhere.
	if _, ok := b.Submit([]protocol.Change{{Index: 500_001, Value: true}}, mustCommit(t)); !ok {
		t.Fatal("submit refused")
	}
	rb.until(t, b, 10*time.Second, func() bool { return rb.Grid.Get(500_001) })
	if rb.Grid.Get(999_999) {
		t.Fatal("the stale sequencer's box reached a replica")
	}
	for seq := base + 1; seq <= rb.Seq; seq++ {
		if id := streamMsg(t, b, seq).Header.Get(jetstream.MsgIDHeader); id == itoa(stale.t.Epoch)+"-"+itoa(seq) {
			t.Fatalf("seq %d is the stale sequencer's", seq)
		}
	}
}

// setSubject receives the Set batches setRequest sends to n, as a
// sequencer's subscription would, until the test ends.
func setSubject(t *testing.T, n *node) <-chan *nats.Msg {
	t.Helper()
	sets := make(chan *nats.Msg, 8)
	sub, err := n.nc.ChanSubscribe("test.set", sets)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	return sets
}

// setRequest sends a forwarder's Set batch (key, id, changes) to the test
// subject and returns the request as the sequencer receives it and a
// channel with its answer.
func setRequest(t *testing.T, n *node, sets <-chan *nats.Msg, key string, id uint64, ch ...protocol.Change) (*nats.Msg, <-chan error) {
	t.Helper()
	frame, err := protocol.AppendSet(nil, ch)
	if err != nil {
		t.Fatal(err)
	}
	msg := &nats.Msg{Subject: "test.set", Data: frame, Header: nats.Header{}}
	msg.Header.Set(hdrNode, key)
	msg.Header.Set(hdrBatch, itoa(id))
	answered := make(chan error, 1)
	go func() {
		reply, err := n.nc.RequestMsg(msg, 10*time.Second)
		if err == nil && len(reply.Data) > 0 {
			err = errors.New(string(reply.Data))
		}
		answered <- err
	}()
	select {
	case m := <-sets:
		return m, answered
	case <-time.After(10 * time.Second):
		t.Fatal("Set batch never arrived")
		return nil, nil
	}
}

// A batch is answered only once the Delta holding it is committed, and
// that Delta names it (key=id); a retry of it to the next sequencer, after
// another player changed the same box, is answered at once and not applied
// again, while the forwarder's next batch is.
func TestBatchRetriedAcrossSequencersAppliesOnce(t *testing.T) {
	js := startJS(t)
	a := startNode(t, Config{URLs: urls(js), Node: "a"})
	tn, _ := holdLease(t, a, "test")
	sets := setSubject(t, a)

	s1 := newTestSequencer(t, a, tn, sets)
	m, answered := setRequest(t, a, sets, "edge.1", 1, protocol.Change{Index: 10, Value: true})
	s1.streamLog.set(m, s1.set)
	select {
	case err := <-answered:
		t.Fatalf("answered before its Delta was committed: %v", err)
	case <-time.After(50 * time.Millisecond): // a real sequencer's tick would come about now
	}
	if err := s1.tick(); err != nil {
		t.Fatal(err)
	}
	if err := <-answered; err != nil {
		t.Fatal(err)
	}
	if h := streamMsg(t, a, s1.last).Header.Get(hdrBatches); h != "edge.1=1" {
		t.Fatalf("Delta %d names batches %q, want edge.1=1", s1.last, h)
	}
	// Another player clears box 10 (committed), then the first sequencer is
	// gone and its answer was lost: the forwarder retries with the next.
	s1.set(10, false)
	if err := s1.tick(); err != nil {
		t.Fatal(err)
	}
	s2 := newTestSequencer(t, a, tn, sets)
	m, answered = setRequest(t, a, sets, "edge.1", 1, protocol.Change{Index: 10, Value: true})
	s2.streamLog.set(m, s2.set)
	if err := <-answered; err != nil {
		t.Fatal(err)
	}
	if s2.g.Get(10) {
		t.Fatal("a retried batch was applied again over a later change")
	}
	m, answered = setRequest(t, a, sets, "edge.1", 2, protocol.Change{Index: 11, Value: true})
	s2.streamLog.set(m, s2.set)
	if err := s2.tick(); err != nil {
		t.Fatal(err)
	}
	if err := <-answered; err != nil || !s2.g.Get(11) {
		t.Fatalf("the next batch: %v, box 11 %v", err, s2.g.Get(11))
	}
}

// A batch whose forwarder is about to refuse it is never committed: the
// sequencer stops attempting its Delta (ErrBatchExpired: it steps down)
// rather than risk a commit after the player was told "refused".
func TestSequencerDropsADeltaWhoseBatchExpired(t *testing.T) {
	js := startJS(t)
	a := startNode(t, Config{URLs: urls(js), Node: "a"})
	tn, _ := holdLease(t, a, "test")
	sets := setSubject(t, a)
	s := newTestSequencer(t, a, tn, sets)
	before := s.last
	m, _ := setRequest(t, a, sets, "edge.1", 1, protocol.Change{Index: 42, Value: true})
	m.Header.Set(hdrExpiresIn, itoa(uint64(expiryMargin/time.Millisecond))) // refused about now
	s.streamLog.set(m, s.set)
	if err := s.tick(); !errors.Is(err, ErrBatchExpired) || !errors.Is(err, pipeline.ErrStepDown) {
		t.Fatalf("tick: %v, want ErrBatchExpired, a step-down", err)
	}
	info, err := a.h.stream.Info(context.Background())
	if err != nil || info.State.LastSeq != before {
		t.Fatalf("stream at %d (want %d): %v", info.State.LastSeq, before, err)
	}
}

// A lease holder whose publish is fenced while the lease is still its own
// (the stream moved behind its back, as another tenure of the same node
// would after a pause shorter than the lease) does not step down: its
// Sequencer rebases on the stream's tail and keeps the player's box, so
// both the box written behind its back and the player's are committed, in
// order, with no gap.
func TestFencedHolderRebases(t *testing.T) {
	js := startJS(t)
	a := startNode(t, Config{URLs: urls(js), Node: "a"})
	var ra replica
	waitWritable(t, a, 20*time.Second)
	ctx := context.Background()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for deadline := time.After(20 * time.Second); !a.Sequencing(); {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatal("a never became the sequencer")
		}
	}
	info, err := a.h.stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	last := info.State.LastSeq
	frame, err := protocol.AppendDelta(nil, last+1, []uint32{123})
	if err != nil {
		t.Fatal(err)
	}
	msg := &nats.Msg{Subject: DeltaSubject, Data: frame, Header: nats.Header{}}
	msg.Header.Set(hdrToggles, "1")
	if _, err := a.js.PublishMsg(ctx, msg, jetstream.WithExpectLastSequence(last), jetstream.WithMsgID("behind-its-back")); err != nil {
		t.Fatal(err)
	}
	if _, ok := a.Submit([]protocol.Change{{Index: 456, Value: true}}, mustCommit(t)); !ok {
		t.Fatal("submit refused")
	}
	ra.until(t, a, 10*time.Second, func() bool { return ra.Grid.Get(456) && ra.Grid.Get(123) })
	if a.m.fenced.Load() == 0 {
		t.Fatal("never fenced: the test tested nothing")
	}
	if !a.Sequencing() {
		t.Fatal("the holder stepped down instead of rebasing")
	}
	if streamMsg(t, a, last+2).Header.Get(hdrBatches) == "" {
		t.Fatalf("Delta %d does not name the player's batch", last+2)
	}
}

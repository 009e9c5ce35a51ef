package cluster

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"checkgrid/protocol"
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
		for sleep(ctx, n.cfg.LeaseTTL/leaseMargin) {
			_ = renew(ctx, n.h.lease, name, tn)
		}
	}()
	stop := func() { cancel(); <-done }
	t.Cleanup(stop)
	return tn, stop
}

// testSequencer is a sequencer for tenure tn on node n, based on the
// current tail, driven by the test instead of a loop.
func testSequencer(t *testing.T, n *node, tn *tenure) *sequencer {
	t.Helper()
	s := &sequencer{n: n.Node, t: tn, inFlight: map[string]uint64{}, snapTurn: 1 << 40}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.base(ctx, nil); err != nil {
		t.Fatal(err)
	}
	s.snapAt = time.Now()
	return s
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
	s := testSequencer(t, a, tn)
	ctx := context.Background()

	s.g.Set(10, true)
	if err := s.tick(ctx); err != nil {
		t.Fatal(err)
	}
	first := s.last
	// The next Delta reaches the stream, but its ack never comes back:
	// publish it behind the sequencer's back, exactly as it would.
	s.g.Set(11, true)
	s.scratch = s.col.Collect(s.scratch[:0])
	frame, _ := protocol.AppendDelta(nil, first+1, s.scratch)
	msg := &nats.Msg{Subject: DeltaSubject, Data: frame, Header: nats.Header{}}
	msg.Header.Set(hdrToggles, "2")
	id := itoa(tn.Epoch) + "-" + itoa(first+1)
	if _, err := a.js.PublishMsg(ctx, msg, jetstream.WithExpectLastSequence(first), jetstream.WithMsgID(id)); err != nil {
		t.Fatal(err)
	}
	if err := s.publish(ctx); err != nil {
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
	stale := testSequencer(t, b, &tenure{Epoch: real.Revision() - 1, ttl: time.Hour})
	stale.t.renewed.Store(monoNow())
	stale.t.rev.Store(real.Revision() - 1)
	base := stale.last

	// The real sequencer commits something on top.
	if _, ok := b.Submit([]protocol.Change{{Index: 500_000, Value: true}}, mustCommit(t)); !ok {
		t.Fatal("submit refused")
	}
	rb.until(t, b, 10*time.Second, func() bool { return rb.Grid.Get(500_000) })
	stale.g.Set(999_999, true)
	err = stale.tick(context.Background())
	if !errors.Is(err, ErrFenced) {
		t.Fatalf("stale publish: %v, want ErrFenced", err)
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
	ctx := context.Background()

	s1 := testSequencer(t, a, tn)
	m, answered := setRequest(t, a, sets, "edge.1", 1, protocol.Change{Index: 10, Value: true})
	s1.set(m)
	select {
	case err := <-answered:
		t.Fatalf("answered before its Delta was committed: %v", err)
	case <-time.After(50 * time.Millisecond): // a real sequencer's tick would come about now
	}
	if err := s1.tick(ctx); err != nil {
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
	s1.g.Set(10, false)
	if err := s1.tick(ctx); err != nil {
		t.Fatal(err)
	}
	s2 := testSequencer(t, a, tn)
	m, answered = setRequest(t, a, sets, "edge.1", 1, protocol.Change{Index: 10, Value: true})
	s2.set(m)
	if err := <-answered; err != nil {
		t.Fatal(err)
	}
	if s2.g.Get(10) {
		t.Fatal("a retried batch was applied again over a later change")
	}
	m, answered = setRequest(t, a, sets, "edge.1", 2, protocol.Change{Index: 11, Value: true})
	s2.set(m)
	if err := s2.tick(ctx); err != nil {
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
	s := testSequencer(t, a, tn)
	before := s.last
	m, _ := setRequest(t, a, sets, "edge.1", 1, protocol.Change{Index: 42, Value: true})
	m.Header.Set(hdrExpiresIn, itoa(uint64(expiryMargin/time.Millisecond))) // refused about now
	s.set(m)
	if err := s.tick(context.Background()); !errors.Is(err, ErrBatchExpired) {
		t.Fatalf("tick: %v, want ErrBatchExpired", err)
	}
	info, err := a.h.stream.Info(context.Background())
	if err != nil || info.State.LastSeq != before {
		t.Fatalf("stream at %d (want %d): %v", info.State.LastSeq, before, err)
	}
}

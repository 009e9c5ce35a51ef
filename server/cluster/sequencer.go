package cluster

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"checkgrid/protocol"
	"checkgrid/server/grid"
)

// Sequencer bounds.
const (
	// setQueue buffers Set batches from the nodes while the loop
	// publishes; a batch is at most protocol.MaxSetBoxes boxes.
	setQueue = 1024
	// publishTimeout is one publish attempt; a lost ack is retried with
	// the same Nats-Msg-Id, which the stream answers as a duplicate.
	// Short, because a publish sent as the stream leader dies is lost, not
	// refused: every ms of it is write pause. A loaded quorum write takes
	// tens of ms.
	publishTimeout = 600 * time.Millisecond
	publishBackoff = 50 * time.Millisecond
	// expiryMargin: a sequencer stops attempting a Delta this long before
	// the earliest of its batches would be refused by its forwarder, so
	// that an attempt still in flight lands (or is dropped) before the
	// refusal: a publish reaches the stream leader in milliseconds or
	// never.
	expiryMargin = time.Second
)

// sequencer is the loop of one lease tenure: it applies the nodes' Sets to
// its grid, and every tick turns what flipped into Delta last+1, published
// with Nats-Expected-Last-Sequence = last, so the stream seq is the Delta
// seq and a stale sequencer cannot extend any chain but its own. What it
// sets is not seen by anyone until the stream has it: nodes apply only
// the committed stream.
type sequencer struct {
	n       *Node
	t       *tenure
	g       *grid.Grid
	col     *grid.Collector
	last    uint64 // the committed seq col.Published() is at
	toggles uint64 // the toggle count at last
	// batches: per forwarder key, the newest batch applied here or
	// committed before this tenure (from the feed); a batch at or below it
	// is a retry and is not applied again.
	batches map[string]uint64
	// waiting: the requests of the batches applied since the last commit
	// (and retries of them), answered once their Delta is committed;
	// inFlight: their key=id for that Delta's header.
	waiting  []*nats.Msg
	inFlight map[string]uint64
	expires  time.Time // the earliest of the waiting batches' expiries, less expiryMargin; zero if none

	// imposed: operator batches applied since the last commit (impose.go),
	// answered with the seq that holds them; want: their values.
	imposed []pendingImpose
	want    *protocol.Bitset
	wantIdx []uint32

	frame    []byte
	scratch  []uint32
	changes  []protocol.Change
	snapSeq  uint64
	snapAt   time.Time
	snapBuf  []byte
	snapTurn uint64 // write a snapshot at least every this many Deltas
}

// sequence runs the sequencer until ctx ends, the lease is lost, or it is
// fenced.
func (n *Node) sequence(ctx context.Context, t *tenure) error {
	sets := make(chan *nats.Msg, setQueue)
	sub, err := n.nc.ChanSubscribe(setPrefix+n.cfg.Node, sets)
	if err != nil {
		return err
	}
	defer func() { _ = sub.Unsubscribe() }()
	imposes := make(chan *nats.Msg, imposeQueue)
	isub, err := n.nc.ChanSubscribe(imposePrefix+n.cfg.Node, imposes)
	if err != nil {
		return err
	}
	defer func() { _ = isub.Unsubscribe() }()
	s := &sequencer{n: n, t: t, inFlight: map[string]uint64{}, snapTurn: n.cfg.snapTurn()}
	if err := s.base(ctx, nil); err != nil {
		return err
	}
	s.snapSeq, s.snapAt = s.last, time.Now()
	n.log.Info("sequencer: lease acquired", "epoch", t.Epoch, "seq", s.last)
	n.sequencing.Store(true)
	defer n.sequencing.Store(false)
	tick := time.NewTicker(n.cfg.Tick)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case m := <-sets:
			s.set(m)
		case m := <-imposes:
			s.impose(m)
		case <-tick.C:
			if err := s.tick(ctx); err != nil {
				return err
			}
		}
	}
}

// base starts the grid from the replica at (at least) the stream's last
// seq, re-applying pending, the boxes and values collected but not
// committed (a rebase after a fence that left this tenure valid).
func (s *sequencer) base(ctx context.Context, pending []protocol.Change) error {
	actx, cancel := context.WithTimeout(ctx, apiTimeout)
	info, err := s.n.h.stream.Info(actx)
	cancel()
	if err != nil {
		return fmt.Errorf("sequencer base: %w", err)
	}
	st, err := s.n.feed.stateAt(ctx, info.State.LastSeq)
	if err != nil {
		return err
	}
	s.g = grid.FromBitset(st.bits, st.toggles)
	s.col = grid.NewCollector(s.g)
	s.last, s.toggles = st.seq, st.toggles
	s.batches = st.batches
	for k, id := range s.inFlight { // applied here, not yet committed: re-applied below
		s.batches[k] = max(s.batches[k], id)
	}
	for _, c := range pending {
		s.g.Set(c.Index, c.Value)
	}
	return nil
}

// set applies one forwarder's batch; it is answered once the Delta that
// holds it is committed (tick). A batch id at or below the forwarder's
// newest (a retry after a lost answer) is not applied again: answered now
// if that batch is committed, with its Delta if not yet.
func (s *sequencer) set(m *nats.Msg) {
	key := m.Header.Get(hdrNode)
	id, err := strconv.ParseUint(m.Header.Get(hdrBatch), 10, 64)
	if err == nil {
		var set protocol.Set
		if set, err = protocol.DecodeSet(m.Data); err == nil {
			s.changes, err = set.AppendChanges(s.changes[:0])
		}
	}
	if err != nil {
		s.n.m.badBatches.Add(1)
		s.n.log.Warn("sequencer: bad Set batch", "node", key, "err", err)
		_ = m.Respond([]byte("bad batch: " + err.Error()))
		return
	}
	s.noteExpiry(m)
	if id <= s.batches[key] {
		if id <= s.inFlight[key] {
			s.waiting = append(s.waiting, m)
		} else {
			_ = m.Respond(nil)
		}
		return
	}
	for _, c := range s.changes {
		s.g.Set(c.Index, c.Value)
	}
	s.batches[key] = id
	s.inFlight[key] = id
	s.waiting = append(s.waiting, m)
}

// noteExpiry keeps the earliest time a waiting batch's forwarder would
// refuse it (its Checkgrid-Expires-In from now, less expiryMargin). A
// batch without one (an older node) never expires here.
func (s *sequencer) noteExpiry(m *nats.Msg) {
	ms, err := strconv.ParseInt(m.Header.Get(hdrExpiresIn), 10, 64)
	if err != nil {
		return
	}
	at := time.Now().Add(time.Duration(ms)*time.Millisecond - expiryMargin)
	if s.expires.IsZero() || at.Before(s.expires) {
		s.expires = at
	}
}

// answer tells every waiting forwarder its batch is committed.
func (s *sequencer) answer() {
	for i, m := range s.waiting {
		_ = m.Respond(nil)
		s.waiting[i] = nil
	}
	s.waiting = s.waiting[:0]
	clear(s.inFlight)
	s.expires = time.Time{}
}

// tick publishes what flipped since the last Delta and writes a snapshot
// when one is due.
func (s *sequencer) tick(ctx context.Context) error {
	if !s.t.valid() {
		return ErrLeaseLost
	}
	s.scratch = s.col.Collect(s.scratch[:0])
	if len(s.scratch) > 0 {
		if err := s.publish(ctx); err != nil {
			return err
		}
	}
	// Committed now, or (nothing flipped) every waiting batch only set
	// boxes to the values the committed grid has.
	s.answer()
	s.answerImposes()
	if s.last > s.snapSeq && (time.Since(s.snapAt) >= s.n.cfg.SnapshotEvery || s.last-s.snapSeq >= s.snapTurn) {
		s.snapshot(ctx)
	}
	return nil
}

// publish commits the collected flips as Delta last+1.
func (s *sequencer) publish(ctx context.Context) error {
	seq := s.last + 1
	var err error
	if s.frame, err = protocol.AppendDelta(s.frame[:0], seq, s.scratch); err != nil {
		return err // the collector yields sorted in-range boxes: a bug
	}
	toggles := s.g.Toggles()
	msg := &nats.Msg{Subject: DeltaSubject, Data: s.frame, Header: nats.Header{}}
	msg.Header.Set(hdrToggles, strconv.FormatUint(toggles, 10))
	if len(s.inFlight) > 0 {
		msg.Header.Set(hdrBatches, batchesHeader(s.inFlight))
	}
	id := strconv.FormatUint(s.t.Epoch, 10) + "-" + strconv.FormatUint(seq, 10)
	start := time.Now()
	for attempt := 0; ; attempt++ {
		if !s.t.valid() {
			// Not one more publish on a lease that may be someone else's:
			// what was built stays unseen.
			return ErrLeaseLost
		}
		if !s.expires.IsZero() && time.Now().After(s.expires) {
			// A batch in this Delta is about to be refused to its player:
			// it must never be committed after that. Step down; the next
			// sequencer starts from the stream's tail, where this Delta is
			// (an earlier attempt landed) or is not.
			return ErrBatchExpired
		}
		actx, cancel := context.WithTimeout(ctx, publishTimeout)
		ack, err := s.n.js.PublishMsg(actx, msg, jetstream.WithExpectLastSequence(s.last), jetstream.WithMsgID(id))
		cancel()
		if err == nil {
			if ack.Sequence != seq {
				return fmt.Errorf("%w: published Delta %d, stream says %d", ErrCorrupt, seq, ack.Sequence)
			}
			if ack.Duplicate {
				s.n.m.dupAcks.Add(1)
			}
			break
		}
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) && isWrongLast(apiErr) {
			s.n.m.fenced.Add(1)
			return s.fenced(ctx)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s.n.m.publishRetries.Add(1)
		s.n.log.Warn("sequencer: publish failed, retrying", "seq", seq, "attempt", attempt, "err", err)
		sleep(ctx, publishBackoff)
	}
	s.n.m.commit.observe(time.Since(start))
	s.last, s.toggles = seq, toggles
	return nil
}

// fenced handles a refused publish: the stream has moved past s.last, so
// another sequencer published. If this tenure is no longer the lease
// holder's, step down (ErrFenced). Otherwise rebase on the new tail,
// keeping the boxes set here, and go on.
func (s *sequencer) fenced(ctx context.Context) error {
	actx, cancel := context.WithTimeout(ctx, apiTimeout)
	e, err := s.n.h.lease.Get(actx, LeaseKey)
	cancel()
	if err != nil || e.Revision() != s.t.rev.Load() || string(e.Value()) != s.n.cfg.Node {
		s.n.log.Warn("sequencer: fenced, stepping down", "epoch", s.t.Epoch, "last", s.last)
		return ErrFenced
	}
	// What was collected for the refused Delta, and what was set since.
	s.scratch = s.col.Collect(s.scratch)
	pending := make([]protocol.Change, 0, len(s.scratch))
	for _, i := range s.scratch {
		pending = append(pending, protocol.Change{Index: i, Value: s.g.Get(i)})
	}
	s.n.log.Warn("sequencer: fenced while holding the lease; rebasing", "epoch", s.t.Epoch, "last", s.last)
	return s.base(ctx, pending)
}

// snapshot writes the committed grid as the newest snapshot. A failure is
// logged and tried again next tick: the stream still has everything.
func (s *sequencer) snapshot(ctx context.Context) {
	s.snapBuf = appendSnapshot(s.snapBuf[:0], s.n.History, state{seq: s.last, toggles: s.toggles, bits: s.col.Published()})
	actx, cancel := context.WithTimeout(ctx, apiTimeout)
	_, err := s.n.h.snaps.Put(actx, snapKey, s.snapBuf)
	cancel()
	if err != nil {
		s.n.log.Warn("sequencer: snapshot", "seq", s.last, "err", err)
		return
	}
	s.snapSeq, s.snapAt = s.last, time.Now()
	s.n.m.snapshots.Add(1)
}

// batchesHeader is a Delta's hdrBatches value: key=id for each forwarder,
// in key order so that a retried publish carries the same bytes.
func batchesHeader(m map[string]uint64) string {
	var b []byte
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if len(b) > 0 {
			b = append(b, ',')
		}
		b = append(b, k...)
		b = append(b, '=')
		b = strconv.AppendUint(b, m[k], 10)
	}
	return string(b)
}

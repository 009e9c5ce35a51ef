package cluster

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"checkgrid/protocol"
	"checkgrid/server/metrics"
	"checkgrid/server/pause"
	"checkgrid/server/pipeline"
)

// Sequencer bounds.
const (
	// setQueue buffers Set batches from the nodes between two ticks; a
	// batch is at most protocol.MaxSetBoxes boxes, and each node's
	// forwarder has one out at a time.
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

// The lease holder sequences with the same pipeline.Sequencer as a single
// process; what differs is its Log, a streamLog of the tenure:
//
//	forwarders' Set batches ─► streamLog.Gather (dedupe by batch id)
//	  ─► Sequencer: collect, encode Delta last+1
//	  ─► streamLog.Append: publish with Nats-Expected-Last-Sequence = last
//	     and Nats-Msg-Id = epoch-seq, retried until it sticks ─► answer
//	     the batches it holds
//
// so the stream seq is the Delta seq, a retry after a lost ack is a
// duplicate, and a stale sequencer cannot extend any chain but its own.
// Nothing the Sequencer emits is followed here: every node, this one too,
// applies only the committed stream (feed.go).

// sequence runs one tenure's Sequencer until ctx ends, the lease is lost,
// it is fenced, or a batch expires.
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
	l := &streamLog{n: n, t: t, ctx: ctx, sets: sets, imposes: imposes, inFlight: map[string]uint64{}, snapTurn: n.cfg.snapTurn()}
	st, err := l.tail()
	if err != nil {
		return err
	}
	l.snapSeq, l.snapAt = st.seq, time.Now()
	n.log.Info("sequencer: lease acquired", "epoch", t.Epoch, "seq", st.seq)
	n.sequencing.Store(true)
	defer n.sequencing.Store(false)
	m := n.cfg.Metrics
	if m == nil {
		m = metrics.New()
	}
	seq := pipeline.New(pipeline.Config{Tick: n.cfg.Tick}, st.bits, st.toggles, l, t.Epoch, st.seq, m, n.log)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range seq.Feed() { // the nodes follow the stream, not this
		}
	}()
	err = seq.Run(ctx, nil)
	wg.Wait()
	if err == nil {
		err = ctx.Err()
	}
	return err
}

// stepDown wraps why the tenure's Sequencer must stop.
func stepDown(why error) error { return fmt.Errorf("%w: %w", pipeline.ErrStepDown, why) }

// streamLog is one tenure's pipeline.Log (a Gatherer): its changes are the
// nodes' Set batches, its records the stream's messages, its checkpoints
// the KV snapshot. The Sequencer calls it from Run's goroutine only.
type streamLog struct {
	n       *Node
	t       *tenure
	ctx     context.Context
	sets    <-chan *nats.Msg // the nodes' Set batches
	imposes <-chan *nats.Msg // the operator's batches (impose.go)

	last uint64 // the committed seq this tenure builds on
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
	changes  []protocol.Change
	// imposed: operator batches applied since the last commit (impose.go),
	// answered with the seq that holds them; want: their values.
	imposed []pendingImpose
	want    *protocol.Bitset
	wantIdx []uint32

	snapSeq  uint64
	snapAt   time.Time
	snapBuf  []byte
	snapTurn uint64 // write a snapshot at least every this many Deltas
}

// tail is the committed state at (at least) the stream's last seq; the
// batches it names, and those applied here and not yet committed, are
// not applied again.
func (l *streamLog) tail() (state, error) {
	actx, cancel := context.WithTimeout(l.ctx, apiTimeout)
	info, err := l.n.h.stream.Info(actx)
	cancel()
	if err != nil {
		return state{}, fmt.Errorf("sequencer base: %w", err)
	}
	st, err := l.n.feed.stateAt(l.ctx, info.State.LastSeq)
	if err != nil {
		return state{}, err
	}
	l.last = st.seq
	l.batches = st.batches
	for k, id := range l.inFlight { // applied here, not yet committed: set again by the rebase
		l.batches[k] = max(l.batches[k], id)
	}
	return st, nil
}

// Gather applies the batches, the players' and the operator's, that
// arrived since the last tick.
func (l *streamLog) Gather(set func(i uint32, v bool) bool) error {
	if !l.t.valid() {
		return stepDown(ErrLeaseLost)
	}
	for {
		select {
		case m := <-l.sets:
			l.set(m, set)
		case m := <-l.imposes:
			l.impose(m, set)
		default:
			return nil
		}
	}
}

// set applies one forwarder's batch; it is answered once the Delta that
// holds it is committed. A batch id at or below the forwarder's newest (a
// retry after a lost answer) is not applied again: answered now if that
// batch is committed, with its Delta if not yet.
func (l *streamLog) set(m *nats.Msg, apply func(uint32, bool) bool) {
	key := m.Header.Get(hdrNode)
	id, err := strconv.ParseUint(m.Header.Get(hdrBatch), 10, 64)
	if err == nil {
		var set protocol.Set
		if set, err = protocol.DecodeSet(m.Data); err == nil {
			l.changes, err = set.AppendChanges(l.changes[:0])
		}
	}
	if err != nil {
		l.n.m.badBatches.Add(1)
		l.n.log.Warn("sequencer: bad Set batch", "node", key, "err", err)
		_ = m.Respond([]byte("bad batch: " + err.Error()))
		return
	}
	l.noteExpiry(m)
	if id <= l.batches[key] {
		if id <= l.inFlight[key] {
			l.waiting = append(l.waiting, m)
		} else {
			_ = m.Respond(nil)
		}
		return
	}
	for _, c := range l.changes {
		apply(c.Index, c.Value)
	}
	l.batches[key] = id
	l.inFlight[key] = id
	l.waiting = append(l.waiting, m)
}

// noteExpiry keeps the earliest time a waiting batch's forwarder would
// refuse it (its Checkgrid-Expires-In, counted from now less a tick, as
// the batch may have waited that long in the queue, and less
// expiryMargin). A batch without one (an older node) never expires here.
func (l *streamLog) noteExpiry(m *nats.Msg) {
	ms, err := strconv.ParseInt(m.Header.Get(hdrExpiresIn), 10, 64)
	if err != nil {
		return
	}
	at := time.Now().Add(time.Duration(ms)*time.Millisecond - expiryMargin - l.n.cfg.Tick)
	if l.expires.IsZero() || at.Before(l.expires) {
		l.expires = at
	}
}

// Settle: the tick's batches flipped nothing, so they are committed as
// they are.
func (l *streamLog) Settle() { l.answer() }

// answer tells every waiting forwarder and operator its batch is
// committed.
func (l *streamLog) answer() {
	l.answerImposes()
	for i, m := range l.waiting {
		_ = m.Respond(nil)
		l.waiting[i] = nil
	}
	l.waiting = l.waiting[:0]
	clear(l.inFlight)
	l.expires = time.Time{}
}

// Append publishes frame as Delta seq (= last+1) until the stream has it,
// then answers the batches it holds. The lease, the batches' expiry and
// the fencing decide when it stops trying: the error then wraps
// pipeline.ErrStepDown, or is a pipeline.Rebase when another tenure of
// this node's lease wrote meanwhile.
func (l *streamLog) Append(seq, toggles uint64, frame []byte) error {
	if seq != l.last+1 {
		return stepDown(fmt.Errorf("%w: Delta %d on a stream at %d", ErrCorrupt, seq, l.last))
	}
	msg := &nats.Msg{Subject: DeltaSubject, Data: frame, Header: nats.Header{}}
	msg.Header.Set(hdrToggles, strconv.FormatUint(toggles, 10))
	if len(l.inFlight) > 0 {
		msg.Header.Set(hdrBatches, batchesHeader(l.inFlight))
	}
	id := strconv.FormatUint(l.t.Epoch, 10) + "-" + strconv.FormatUint(seq, 10)
	start := time.Now()
	for attempt := 0; ; attempt++ {
		if !l.t.valid() {
			// Not one more publish on a lease that may be someone else's:
			// what was built stays unseen.
			return stepDown(ErrLeaseLost)
		}
		if !l.expires.IsZero() && time.Now().After(l.expires) {
			// A batch in this Delta is about to be refused to its player:
			// it must never be committed after that. Step down; the next
			// sequencer starts from the stream's tail, where this Delta is
			// (an earlier attempt landed) or is not.
			return stepDown(ErrBatchExpired)
		}
		actx, cancel := context.WithTimeout(l.ctx, publishTimeout)
		ack, err := l.n.js.PublishMsg(actx, msg, jetstream.WithExpectLastSequence(l.last), jetstream.WithMsgID(id))
		cancel()
		if err == nil {
			if ack.Sequence != seq {
				return stepDown(fmt.Errorf("%w: published Delta %d, stream says %d", ErrCorrupt, seq, ack.Sequence))
			}
			if ack.Duplicate {
				l.n.m.dupAcks.Add(1)
			}
			break
		}
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) && isWrongLast(apiErr) {
			l.n.m.fenced.Add(1)
			return l.fenced()
		}
		if l.ctx.Err() != nil {
			return stepDown(l.ctx.Err())
		}
		l.n.m.publishRetries.Add(1)
		l.n.log.Warn("sequencer: publish failed, retrying", "seq", seq, "attempt", attempt, "err", err)
		pause.For(l.ctx, publishBackoff)
	}
	l.n.m.commit.observe(time.Since(start))
	l.last = seq
	l.answer()
	return nil
}

// fenced handles a refused publish: the stream has moved past last, so
// another sequencer published. If this tenure is no longer the lease
// holder's, step down (ErrFenced). Otherwise the Sequencer rebases on the
// new tail, keeping the boxes set here, and goes on.
func (l *streamLog) fenced() error {
	actx, cancel := context.WithTimeout(l.ctx, apiTimeout)
	e, err := l.n.h.lease.Get(actx, LeaseKey)
	cancel()
	if err != nil || e.Revision() != l.t.rev.Load() || string(e.Value()) != l.n.cfg.Node {
		l.n.log.Warn("sequencer: fenced, stepping down", "epoch", l.t.Epoch, "last", l.last)
		return stepDown(ErrFenced)
	}
	l.n.log.Warn("sequencer: fenced while holding the lease; rebasing", "epoch", l.t.Epoch, "last", l.last)
	st, err := l.tail()
	if err != nil {
		return stepDown(err)
	}
	return &pipeline.Rebase{Seq: st.seq, Toggles: st.toggles, Grid: st.bits}
}

// Sync: every publish is a quorum write already.
func (l *streamLog) Sync() error { return nil }

// WantCheckpoint: a snapshot every SnapshotEvery, and at least every
// snapTurn Deltas (so a bounded stream always has one within reach).
func (l *streamLog) WantCheckpoint() bool {
	return l.last > l.snapSeq && (time.Since(l.snapAt) >= l.n.cfg.SnapshotEvery || l.last-l.snapSeq >= l.snapTurn)
}

// Checkpoint writes g, the committed grid at seq, as the newest snapshot.
// A failure is tried again after the next Delta: the stream still has
// everything.
func (l *streamLog) Checkpoint(_, seq, toggles uint64, g *protocol.Bitset) error {
	l.snapBuf = appendSnapshot(l.snapBuf[:0], l.n.History, state{seq: seq, toggles: toggles, bits: g})
	actx, cancel := context.WithTimeout(l.ctx, apiTimeout)
	_, err := l.n.h.snaps.Put(actx, snapKey, l.snapBuf)
	cancel()
	if err != nil {
		return fmt.Errorf("sequencer: snapshot at %d: %w", seq, err)
	}
	l.snapSeq, l.snapAt = seq, time.Now()
	l.n.m.snapshots.Add(1)
	return nil
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

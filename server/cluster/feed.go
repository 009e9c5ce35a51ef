package cluster

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"checkgrid/protocol"
	"checkgrid/server/pause"
	"checkgrid/server/pipeline"
)

// Feed bounds and periods.
const (
	// liveQueue buffers RePublished Deltas between the NATS client and the
	// feed loop; past it the client drops messages (a slow consumer), which
	// the loop sees as a gap and backfills.
	liveQueue = 4096
	// outQueue is how many committed steps may wait for the hub. The feed
	// never fills it while the hub is not yet draining: the start-up
	// catch-up hands over one reset, however far behind the node was.
	outQueue = 256
	// resetAbove: a backfill longer than this is applied to the replica
	// alone and handed to the hub as one reset (every player resyncs once)
	// instead of step by step: the hub's queue and the players' outboxes
	// stay bounded whatever the distance, and a reset costs one snapshot
	// per player where a long replay would cost a frame per step.
	resetAbove = outQueue / 2
	// fetchBatch: Deltas asked of the stream per pull while catching up;
	// at most this many are in memory at once. A busy tick's Delta is a few
	// KB, so a pull is about a MB; the bound is 256 × MaxServerMessage.
	fetchBatch = 256
	// idleCheck: with no live message for this long, ask the stream for
	// its last seq, so a lost message at the tail is noticed too.
	idleCheck = 500 * time.Millisecond
	// behindRetry: how soon to look again for a snapshot that covers a gap.
	behindRetry = 250 * time.Millisecond
	snapHeader  = 8 // the toggle count before the Snapshot frame
	// pullTimeout bounds each stream call of a catch-up (info, consumer,
	// pull). The feed loop waits on it and does nothing else meanwhile, so
	// it is short: a stream electing a leader fails fast and the loop
	// tries again at the next idle check, instead of holding every live
	// Delta (and so every player of this node) for apiTimeout.
	pullTimeout = time.Second
)

// state is the grid at a seq.
type state struct {
	seq     uint64
	toggles uint64
	bits    *protocol.Bitset
	batches map[string]uint64 // per forwarder, the newest batch committed (nil from a stored snapshot)
}

type stateReq struct {
	min   uint64
	reply chan state
}

// feed keeps this node's replica: from the newest snapshot, then every
// committed Delta in seq order, live from RePublish and backfilled from
// the stream wherever live missed one. It hands each step to the hub and
// serves the sequencer the replica at (at least) a seq. Only run's
// goroutine touches the replica.
type feed struct {
	n     *Node
	out   chan pipeline.Committed
	req   chan stateReq
	ready chan struct{} // closed once the replica is caught up the first time

	rep     protocol.Replica
	toggles uint64
	waiting []stateReq
	// batches is, per forwarder, the newest Set batch committed at rep.Seq
	// (Delta headers): a new sequencer starts from it, so a batch retried
	// across a failover is not applied twice. ownBatch is this node's
	// forwarder's entry, readable from its goroutine.
	batches  map[string]uint64
	ownBatch atomic.Uint64
	// told: the hub has had a reset; toldSeq: the seq it has been handed.
	// A step that does not follow toldSeq is handed over as a reset.
	told    bool
	toldSeq uint64
}

func newFeed(n *Node) *feed {
	return &feed{n: n, out: make(chan pipeline.Committed, outQueue), req: make(chan stateReq), ready: make(chan struct{}),
		batches: map[string]uint64{}}
}

// stateAt returns a copy of the replica once it is at seq min or later.
func (f *feed) stateAt(ctx context.Context, min uint64) (state, error) {
	r := stateReq{min: min, reply: make(chan state, 1)}
	select {
	case f.req <- r:
	case <-ctx.Done():
		return state{}, ctx.Err()
	}
	select {
	case s := <-r.reply:
		return s, nil
	case <-ctx.Done():
		return state{}, ctx.Err()
	}
}

func (f *feed) run(ctx context.Context) error {
	live := make(chan *nats.Msg, liveQueue)
	sub, err := f.n.nc.ChanSubscribe(LiveSubject, live)
	if err != nil {
		return fmt.Errorf("live feed: %w", err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	// Subscribed before catching up: anything committed from here on is
	// either in live or found by the catch-up.
	for {
		err = f.start(ctx)
		if err == nil {
			break
		}
		f.n.log.Warn("feed: initial catch-up", "err", err)
		if !pause.For(ctx, behindRetry) {
			return ctx.Err()
		}
	}
	close(f.ready)
	idle := time.NewTicker(idleCheck)
	defer idle.Stop()
	lastLive := time.Now()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case m := <-live:
			lastLive = time.Now()
			seq, err := strconv.ParseUint(m.Header.Get(hdrStreamSeq), 10, 64)
			if err != nil {
				f.n.log.Error("feed: live message without a stream seq", "err", err)
				continue
			}
			if err := f.take(ctx, seq, m.Data, m.Header); err != nil {
				f.n.log.Warn("feed", "seq", seq, "err", err)
			}
		case r := <-f.req:
			f.waiting = append(f.waiting, r)
			f.answer()
		case now := <-idle.C:
			if now.Sub(lastLive) < idleCheck {
				continue
			}
			if err := f.catchUp(ctx); err != nil {
				f.n.log.Warn("feed: catch-up", "err", err)
			}
		}
	}
}

// start loads the newest snapshot and replays the stream after it into
// the replica; catchUp hands the hub one reset at the end. Nothing waits
// on the hub, which starts draining only once this returns.
func (f *feed) start(ctx context.Context) error {
	s, err := f.n.loadSnapshot(ctx)
	if err != nil {
		return err
	}
	f.load(s)
	return f.catchUp(ctx)
}

// load makes s the replica; the hub hears of it at the next hand-over.
func (f *feed) load(s state) {
	f.rep.Reset(f.n.History, s.seq, s.bits)
	f.n.committed.load(&f.rep.Grid)
	f.toggles = s.toggles
	if s.batches != nil {
		f.batches = s.batches
	}
}

// tellReset hands the hub the whole replica.
func (f *feed) tellReset(ctx context.Context) error {
	bits := f.rep.Grid
	f.n.m.resets.Add(1)
	if err := f.emit(ctx, pipeline.Committed{Seq: f.rep.Seq, Toggles: f.toggles, Grid: &bits}); err != nil {
		return err
	}
	f.told, f.toldSeq = true, f.rep.Seq
	return nil
}

// tell hands the hub the step the replica just applied, frame flipping
// boxes: the Delta itself if the hub is at the seq before it, else a
// reset.
func (f *feed) tell(ctx context.Context, frame []byte, boxes []uint32) error {
	if !f.told || f.toldSeq+1 != f.rep.Seq {
		return f.tellReset(ctx)
	}
	step := pipeline.Committed{Seq: f.rep.Seq, Toggles: f.toggles, Frame: frame, Boxes: slices.Clone(boxes)}
	if err := f.emit(ctx, step); err != nil {
		return err
	}
	f.toldSeq = f.rep.Seq
	return nil
}

// take handles committed message seq: a duplicate is ignored, the next one
// applied, one past a hole backfills the hole first.
func (f *feed) take(ctx context.Context, seq uint64, data []byte, hdr nats.Header) error {
	if seq <= f.rep.Seq {
		return nil
	}
	if seq > f.rep.Seq+1 {
		f.n.m.gaps.Add(1)
		if err := f.backfill(ctx, seq-1); err != nil {
			return err
		}
		if seq <= f.rep.Seq { // the backfill reset past it
			return nil
		}
	}
	boxes, err := f.apply(seq, data, hdr)
	if err != nil {
		return err
	}
	return f.tell(ctx, data, boxes)
}

// catchUp backfills up to the stream's last seq.
func (f *feed) catchUp(ctx context.Context) error {
	actx, cancel := context.WithTimeout(ctx, pullTimeout)
	defer cancel()
	info, err := f.n.h.stream.Info(actx)
	if err != nil {
		return err
	}
	if info.State.LastSeq > f.rep.Seq {
		return f.backfill(ctx, info.State.LastSeq)
	}
	if !f.told || f.toldSeq != f.rep.Seq {
		return f.tellReset(ctx)
	}
	return nil
}

// backfill brings the replica from f.rep.Seq to to, pulling the stream in
// batches of fetchBatch through an ordered consumer. A short backfill
// hands the hub each step; a long one (or the first) is applied to the
// replica alone and handed over as one reset, so nothing here grows with
// the distance but time. A seq the stream no longer has (retention) means
// the node is behind its first seq: it loads the newest snapshot, which is
// always inside what is retained, and goes on from there.
func (f *feed) backfill(ctx context.Context, to uint64) error {
	quiet := !f.told || to-f.rep.Seq > resetAbove
	for f.rep.Seq < to {
		err := f.pull(ctx, to, func(seq uint64, data []byte, hdr nats.Header) error {
			boxes, err := f.apply(seq, data, hdr)
			if err != nil {
				return err
			}
			f.n.m.backfilled.Add(1)
			if quiet {
				f.answer()
				return nil
			}
			return f.tell(ctx, data, boxes)
		})
		if errors.Is(err, errNotRetained) {
			if err := f.behind(ctx, f.rep.Seq+1); err != nil {
				return err
			}
			quiet = true
			continue
		}
		if err != nil {
			return err
		}
	}
	if quiet {
		return f.tellReset(ctx)
	}
	return nil
}

// errNotRetained: the stream's first message is past the one wanted.
var errNotRetained = errors.New("cluster: seq no longer in the stream")

// pull feeds fn every stored Delta from f.rep.Seq+1 through to, in order,
// from one ordered consumer; it returns errNotRetained if the stream
// starts past f.rep.Seq+1.
func (f *feed) pull(ctx context.Context, to uint64, fn func(seq uint64, data []byte, hdr nats.Header) error) error {
	actx, cancel := context.WithTimeout(ctx, pullTimeout)
	defer cancel()
	cons, err := f.n.h.stream.OrderedConsumer(actx, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:   f.rep.Seq + 1,
	})
	if err != nil {
		return fmt.Errorf("backfill from %d: %w", f.rep.Seq+1, err)
	}
	for f.rep.Seq < to {
		batch, err := cons.Fetch(int(min(to-f.rep.Seq, fetchBatch)), jetstream.FetchMaxWait(pullTimeout))
		if err != nil {
			return fmt.Errorf("backfill from %d: %w", f.rep.Seq+1, err)
		}
		got := 0
		for m := range batch.Messages() {
			got++
			md, err := m.Metadata()
			if err != nil {
				return fmt.Errorf("backfill: %w", err)
			}
			seq := md.Sequence.Stream
			if seq <= f.rep.Seq {
				continue
			}
			if seq > f.rep.Seq+1 {
				return errNotRetained
			}
			if err := fn(seq, m.Data(), m.Headers()); err != nil {
				return err
			}
		}
		if err := batch.Error(); err != nil {
			return fmt.Errorf("backfill from %d: %w", f.rep.Seq+1, err)
		}
		if got == 0 {
			return fmt.Errorf("backfill from %d: %w", f.rep.Seq+1, errNoProgress)
		}
	}
	return nil
}

// errNoProgress: a pull returned nothing while the stream said it had more.
var errNoProgress = errors.New("cluster: the stream returned no messages")

// behind handles a seq the stream does not have: reset to a snapshot past
// it, waiting for one if the newest is not.
func (f *feed) behind(ctx context.Context, seq uint64) error {
	for {
		s, err := f.n.loadSnapshot(ctx)
		if err != nil {
			return err
		}
		if s.seq >= seq {
			f.n.log.Info("feed: behind the stream's first seq; reset to snapshot", "missing", seq, "snapshot", s.seq)
			f.load(s)
			f.answer()
			return nil
		}
		f.n.log.Warn("feed", "err", ErrBehind, "missing", seq, "snapshot", s.seq)
		if !pause.For(ctx, behindRetry) {
			return ctx.Err()
		}
	}
}

// apply checks that data is the Delta of seq and applies it to the
// replica, decoding it once: it returns the boxes it flipped (the
// replica's slice, valid until the next apply) for the caller to tell the
// hub.
func (f *feed) apply(seq uint64, data []byte, hdr nats.Header) ([]uint32, error) {
	d, err := protocol.DecodeDelta(data)
	if err == nil && d.Seq != seq {
		err = fmt.Errorf("frame seq %d", d.Seq)
	}
	var boxes []uint32
	if err == nil {
		boxes, err = f.rep.ApplyDelta(d)
	}
	if err == nil {
		f.n.committed.apply(&f.rep.Grid, boxes)
	}
	if err != nil {
		return nil, fmt.Errorf("%w %d: %w", ErrCorrupt, seq, err)
	}
	if t, err := strconv.ParseUint(hdr.Get(hdrToggles), 10, 64); err == nil {
		f.toggles = t
	}
	f.noteBatches(hdr.Get(hdrBatches))
	f.answer()
	return boxes, nil
}

// noteBatches records the forwarders' batches a Delta committed
// ("key=id,key=id"); a malformed entry is skipped, as the Delta itself is
// good.
func (f *feed) noteBatches(v string) {
	for v != "" {
		var kv string
		kv, v, _ = strings.Cut(v, ",")
		key, idText, ok := strings.Cut(kv, "=")
		id, err := strconv.ParseUint(idText, 10, 64)
		if !ok || err != nil {
			continue
		}
		if id > f.batches[key] {
			f.batches[key] = id
		}
		if key == f.n.fwd.key {
			f.ownBatch.Store(id)
		}
	}
}

func (f *feed) emit(ctx context.Context, c pipeline.Committed) error {
	select {
	case f.out <- c:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// answer replies to every state request the replica has reached.
func (f *feed) answer() {
	keep := f.waiting[:0]
	for _, r := range f.waiting {
		if f.rep.Seq < r.min {
			keep = append(keep, r)
			continue
		}
		bits := f.rep.Grid
		r.reply <- state{seq: f.rep.Seq, toggles: f.toggles, bits: &bits, batches: maps.Clone(f.batches)}
	}
	f.waiting = keep
}

// loadSnapshot reads the newest snapshot; none yet is the empty grid at 0.
func (n *Node) loadSnapshot(ctx context.Context) (state, error) {
	actx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	e, err := n.h.snaps.Get(actx, snapKey)
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return state{bits: new(protocol.Bitset)}, nil
	}
	if err != nil {
		return state{}, fmt.Errorf("snapshot: %w", err)
	}
	return decodeSnapshot(e.Value(), n.History)
}

// A stored snapshot is the toggle count (8 bytes, little-endian) and a
// Snapshot frame of the grid at its seq, in this cluster's history.
func appendSnapshot(dst []byte, epoch uint64, s state) []byte {
	dst = binary.LittleEndian.AppendUint64(dst, s.toggles)
	return protocol.AppendSnapshot(dst, epoch, s.seq, s.bits)
}

func decodeSnapshot(b []byte, epoch uint64) (state, error) {
	if len(b) < snapHeader {
		return state{}, fmt.Errorf("%w: snapshot of %d bytes", ErrCorrupt, len(b))
	}
	snap, err := protocol.DecodeSnapshot(b[snapHeader:])
	if err != nil {
		return state{}, fmt.Errorf("%w: snapshot: %w", ErrCorrupt, err)
	}
	if snap.Epoch != epoch {
		return state{}, fmt.Errorf("%w: snapshot of history %d, cluster is %d", ErrCorrupt, snap.Epoch, epoch)
	}
	s := state{seq: snap.Seq, toggles: binary.LittleEndian.Uint64(b), bits: new(protocol.Bitset)}
	if err := snap.Bits(s.bits); err != nil {
		return state{}, fmt.Errorf("%w: snapshot: %w", ErrCorrupt, err)
	}
	return s, nil
}

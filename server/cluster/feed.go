package cluster

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"checkgrid/protocol"
	"checkgrid/server/hub"
)

// Feed bounds and periods.
const (
	// liveQueue buffers RePublished Deltas between the NATS client and the
	// feed loop; past it the client drops messages (a slow consumer), which
	// the loop sees as a gap and backfills.
	liveQueue = 4096
	// outQueue is how many committed steps may wait for the hub.
	outQueue = 256
	// idleCheck: with no live message for this long, ask the stream for
	// its last seq, so a lost message at the tail is noticed too.
	idleCheck = 500 * time.Millisecond
	// behindRetry: how soon to look again for a snapshot that covers a gap.
	behindRetry = 250 * time.Millisecond
	snapHeader  = 8 // the toggle count before the Snapshot frame
)

// state is the grid at a seq.
type state struct {
	seq     uint64
	toggles uint64
	bits    *protocol.Bitset
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
	out   chan hub.Committed
	req   chan stateReq
	ready chan struct{} // closed once the replica is caught up the first time

	rep     protocol.Replica
	toggles uint64
	waiting []stateReq
}

func newFeed(n *Node) *feed {
	return &feed{n: n, out: make(chan hub.Committed, outQueue), req: make(chan stateReq), ready: make(chan struct{})}
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
		if !sleep(ctx, behindRetry) {
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

// start loads the newest snapshot, hands it to the hub as a reset and
// replays the stream after it.
func (f *feed) start(ctx context.Context) error {
	s, err := f.n.loadSnapshot(ctx)
	if err != nil {
		return err
	}
	if err := f.reset(ctx, s); err != nil {
		return err
	}
	return f.catchUp(ctx)
}

// reset makes s the replica and tells the hub.
func (f *feed) reset(ctx context.Context, s state) error {
	f.rep.Reset(f.n.History, s.seq, s.bits)
	f.toggles = s.toggles
	f.n.m.resets.Add(1)
	return f.emit(ctx, hub.Committed{Seq: s.seq, Toggles: s.toggles, Grid: s.bits})
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
	return f.apply(ctx, seq, data, hdr)
}

// catchUp backfills up to the stream's last seq.
func (f *feed) catchUp(ctx context.Context) error {
	actx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	info, err := f.n.h.stream.Info(actx)
	if err != nil {
		return err
	}
	if info.State.LastSeq > f.rep.Seq {
		return f.backfill(ctx, info.State.LastSeq)
	}
	return nil
}

// backfill fetches f.rep.Seq+1..to from the stream. A seq the stream no longer
// has (retention) means the node is behind its first seq: it resets to the
// newest snapshot, which is always inside what is retained.
func (f *feed) backfill(ctx context.Context, to uint64) error {
	for f.rep.Seq < to {
		seq := f.rep.Seq + 1
		actx, cancel := context.WithTimeout(ctx, apiTimeout)
		m, err := f.n.h.stream.GetMsg(actx, seq)
		cancel()
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			if err := f.behind(ctx, seq); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("backfill %d: %w", seq, err)
		}
		f.n.m.backfilled.Add(1)
		if err := f.apply(ctx, seq, m.Data, m.Header); err != nil {
			return err
		}
	}
	return nil
}

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
			return f.reset(ctx, s)
		}
		f.n.log.Warn("feed", "err", ErrBehind, "missing", seq, "snapshot", s.seq)
		if !sleep(ctx, behindRetry) {
			return ctx.Err()
		}
	}
}

// apply checks that data is the Delta of seq, applies it to the replica
// and hands it to the hub.
func (f *feed) apply(ctx context.Context, seq uint64, data []byte, hdr nats.Header) error {
	d, err := protocol.DecodeDelta(data)
	if err == nil && d.Seq != seq {
		err = fmt.Errorf("frame seq %d", d.Seq)
	}
	if err == nil {
		_, err = f.rep.ApplyDelta(d)
	}
	if err != nil {
		return fmt.Errorf("%w %d: %w", ErrCorrupt, seq, err)
	}
	if t, err := strconv.ParseUint(hdr.Get(hdrToggles), 10, 64); err == nil {
		f.toggles = t
	}
	if err := f.emit(ctx, hub.Committed{Seq: seq, Toggles: f.toggles, Frame: data}); err != nil {
		return err
	}
	f.answer()
	return nil
}

func (f *feed) emit(ctx context.Context, c hub.Committed) error {
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
		r.reply <- state{seq: f.rep.Seq, toggles: f.toggles, bits: &bits}
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

// sleep waits d unless ctx ends first; false means it ended.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

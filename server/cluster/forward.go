package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"checkgrid/protocol"
	"checkgrid/server/pause"
)

// Forwarding bounds.
const (
	// maxPending bounds the boxes a node holds for the sequencer; past it
	// Sets are refused (Reject storage) rather than queued without end.
	// 65,536 boxes is 3 s of a node's share of a busy grid.
	maxPending = 1 << 16
	// requestTimeout: the sequencer answers a batch once the Delta that
	// holds it is committed (a tick, then a quorum write: tens of ms); one
	// that takes this long is gone, stopped, or its stream is electing.
	requestTimeout = 750 * time.Millisecond
	retryEvery     = 100 * time.Millisecond
	// refuseAfterFailure: after a failed request, Sets are refused at once
	// (Reject storage) for this long rather than accepted into a queue
	// that is not moving. It lapses by itself, so a sequencer that comes
	// back is found by the next batch even if no request succeeded since.
	refuseAfterFailure = time.Second
	// tailCheckTimeout bounds the last look at the stream before a batch
	// is refused; the refusal comes at most this long after AcceptBound.
	tailCheckTimeout = 500 * time.Millisecond
	// AcceptBound is the promise to players (PROTOCOL.md, "Cluster"):
	// every box a node accepts is committed, or refused with Reject
	// storage, within this long of its acceptance. It spans a sequencer
	// failover (the lease TTL and a candidate's poll, about 2.5 s) with
	// room for a JetStream leader election; a box that waits longer is
	// refused so the player sees it and no stale intent lands much later.
	AcceptBound = 5 * time.Second
)

// intent is one accepted Set's boxes on their way to the sequencer, with
// whom to tell if they cannot be committed.
type intent struct {
	changes  []protocol.Change
	lost     func([]protocol.Change)
	accepted time.Time
}

// forwarder sends this node's accepted changes to the sequencer: one
// request at a time, carrying whole intents (up to protocol.MaxSetBoxes
// boxes) as one Set frame, with a forwarder key (the node's name and a
// random incarnation) and an increasing batch id. The sequencer answers
// only once the Delta holding the batch is committed, and records
// key=id in that Delta's headers, so a retry after a lost answer — to the
// same sequencer or to the next one, which starts from the committed
// headers — is applied once. While a batch is out, new intents queue and
// go in the next batch, so batching grows with load by itself.
//
// Every intent ends within AcceptBound: its batch is answered
// (committed), or the feed shows its batch committed, or lost is called
// with its boxes (the hub sends the player Reject storage).
type forwarder struct {
	n        *Node
	key      string // this forwarder's identity in Set batches and Delta headers
	wake     chan struct{}
	target   atomic.Pointer[string] // the sequencer's node name; nil: none known
	failedAt atomic.Int64           // monotonic ns of the last failed request; 0 after a success

	mu    sync.Mutex // guards queue and boxes
	queue []intent
	boxes int

	// Owned by run.
	batch uint64
}

func newForwarder(n *Node) *forwarder {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return &forwarder{n: n, key: n.cfg.Node + "." + hex.EncodeToString(b[:]), wake: make(chan struct{}, 1)}
}

// writable: connected, a sequencer is known, and no request failed in
// the last refuseAfterFailure.
func (f *forwarder) writable() bool {
	at := f.failedAt.Load()
	return f.n.nc.IsConnected() && f.target.Load() != nil && (at == 0 || monoNow()-at > int64(refuseAfterFailure))
}

// fail records a failed request; true if the previous one had not failed.
func (f *forwarder) fail() bool { return f.failedAt.Swap(monoNow()) == 0 }

// submit queues a copy of changes; lost is called (once, from the
// forwarder's goroutine) if they cannot be committed within AcceptBound.
func (f *forwarder) submit(changes []protocol.Change, lost func([]protocol.Change)) bool {
	if !f.writable() {
		return false
	}
	f.mu.Lock()
	if f.boxes+len(changes) > maxPending {
		f.mu.Unlock()
		f.n.m.refusedFull.Add(1)
		return false
	}
	f.queue = append(f.queue, intent{changes: slices.Clone(changes), lost: lost, accepted: time.Now()})
	f.boxes += len(changes)
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
	return true
}

// take removes whole intents, up to MaxSetBoxes boxes, from the queue.
// Intents already past AcceptBound are refused here instead.
func (f *forwarder) take(dst []intent) []intent {
	now := time.Now()
	var late []intent
	f.mu.Lock()
	n, boxes := 0, 0
	for _, in := range f.queue {
		if now.Sub(in.accepted) >= AcceptBound {
			late = append(late, in)
		} else if boxes+len(in.changes) > protocol.MaxSetBoxes && boxes > 0 {
			break
		} else {
			dst = append(dst, in)
			boxes += len(in.changes)
		}
		n++
		f.boxes -= len(in.changes)
	}
	f.queue = slices.Delete(f.queue, 0, n)
	more := len(f.queue) > 0
	f.mu.Unlock()
	f.refuse(late)
	if more {
		select {
		case f.wake <- struct{}{}:
		default:
		}
	}
	return dst
}

// merge turns intents into one sorted Set, the latest intent winning
// where two name the same box.
func merge(dst []protocol.Change, intents []intent) []protocol.Change {
	for _, in := range intents {
		dst = append(dst, in.changes...)
	}
	// Stable: of equal indexes the later intent's stays last, and the
	// loop keeps the last of each run.
	slices.SortStableFunc(dst, func(a, b protocol.Change) int { return int(a.Index) - int(b.Index) })
	out := dst[:0]
	for i, c := range dst {
		if i+1 < len(dst) && dst[i+1].Index == c.Index {
			continue // a later intent sets this box
		}
		out = append(out, c)
	}
	return out
}

func (f *forwarder) run(ctx context.Context) {
	var intents []intent
	var changes []protocol.Change
	var frame []byte
	for {
		select {
		case <-ctx.Done():
			return
		case <-f.wake:
		}
		if intents = f.take(intents[:0]); len(intents) == 0 {
			continue
		}
		changes = merge(changes[:0], intents)
		var err error
		if frame, err = protocol.AppendSet(frame[:0], changes); err != nil {
			f.n.log.Error("forward: encode", "err", err) // sorted and in range: a bug
			f.refuse(intents)
			continue
		}
		f.batch++
		boxes := 0 // the players', before merging: as refuse counts them
		for _, in := range intents {
			boxes += len(in.changes)
		}
		if !f.send(ctx, frame, boxes, intents[0].accepted.Add(AcceptBound)) {
			f.refuse(intents)
		}
		clear(intents) // let the callbacks go
	}
}

// refuse tells the owners of intents that their boxes will not be
// committed.
func (f *forwarder) refuse(intents []intent) {
	for _, in := range intents {
		f.n.m.droppedBoxes.Add(uint64(len(in.changes)))
		in.lost(in.changes)
	}
}

// send delivers one batch, retrying (same batch id, possibly to a new
// sequencer) until it is answered or deadline passes; false means it was
// not committed. At the deadline the feed has the last word: a batch whose
// answer was lost but whose Delta this node has received is committed.
func (f *forwarder) send(ctx context.Context, frame []byte, boxes int, deadline time.Time) bool {
	msg := &nats.Msg{Data: frame, Header: nats.Header{}}
	msg.Header.Set(hdrNode, f.key)
	msg.Header.Set(hdrBatch, strconv.FormatUint(f.batch, 10))
	for {
		if t := f.target.Load(); t != nil {
			msg.Subject = setPrefix + *t
			msg.Header.Set(hdrExpiresIn, strconv.FormatInt(time.Until(deadline).Milliseconds(), 10))
			rctx, cancel := context.WithTimeout(ctx, min(requestTimeout, max(time.Until(deadline), time.Millisecond)))
			reply, err := f.n.nc.RequestMsgWithContext(rctx, msg)
			cancel()
			if err == nil && len(reply.Data) == 0 {
				if f.failedAt.Swap(0) != 0 {
					f.n.log.Info("forward: sequencer answering again", "sequencer", *t)
				}
				f.n.m.forwarded.Add(uint64(boxes))
				return true
			}
			if err == nil {
				// The sequencer refused the batch as malformed: a bug on
				// one side; retrying cannot help.
				f.n.log.Error("forward: batch refused", "reason", string(reply.Data))
				return false
			}
			if f.fail() {
				f.n.log.Warn("forward: sequencer not answering; refusing Sets", "sequencer", *t, "err", err)
			}
		} else {
			f.fail()
		}
		if f.n.feed.ownBatch.Load() >= f.batch {
			f.n.m.forwarded.Add(uint64(boxes))
			return true
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			if f.committedAtTail(ctx) {
				f.n.m.forwarded.Add(uint64(boxes))
				return true
			}
			f.n.log.Warn("forward: batch not committed in time; refusing its boxes", "boxes", boxes, "batch", f.batch)
			return false
		}
		if !pause.For(ctx, min(retryEvery, max(time.Until(deadline), time.Millisecond))) {
			return false
		}
	}
}

// committedAtTail: before refusing, bring the feed to the stream's tail
// and look again, so a batch whose answer was lost but whose Delta landed
// is not refused (no sequencer attempts a Delta past its batches' expiry,
// so the tail now has it or never will). If the stream cannot be asked, the
// batch is refused.
func (f *forwarder) committedAtTail(ctx context.Context) bool {
	actx, cancel := context.WithTimeout(ctx, tailCheckTimeout)
	defer cancel()
	info, err := f.n.h.stream.Info(actx)
	if err != nil {
		return false
	}
	if _, err := f.n.feed.stateAt(actx, info.State.LastSeq); err != nil {
		return false
	}
	return f.n.feed.ownBatch.Load() >= f.batch
}

// watchLease follows the lease key so the forwarder sends to whoever
// holds it; an expired or deleted lease (a limit marker or delete) means
// no sequencer until the next one.
func (f *forwarder) watchLease(ctx context.Context) {
	for ctx.Err() == nil {
		w, err := f.n.h.lease.Watch(ctx, LeaseKey)
		if err != nil {
			f.n.log.Warn("lease watch", "err", err)
			pause.For(ctx, retryEvery)
			continue
		}
		f.follow(ctx, w.Updates())
		_ = w.Stop()
	}
}

// follow applies lease updates until the watcher ends or ctx does.
func (f *forwarder) follow(ctx context.Context, updates <-chan jetstream.KeyValueEntry) {
	for {
		var e jetstream.KeyValueEntry
		var ok bool
		select {
		case <-ctx.Done():
			return
		case e, ok = <-updates:
		}
		if !ok {
			return
		}
		if e == nil {
			continue // the end of the initial values
		}
		if e.Operation() == jetstream.KeyValuePut && len(e.Value()) > 0 {
			name := string(e.Value())
			if old := f.target.Swap(&name); old == nil || *old != name {
				f.n.log.Info("sequencer is", "node", name, "revision", e.Revision())
				f.failedAt.Store(0)
			}
		} else if f.target.Swap(nil) != nil {
			f.n.log.Info("no sequencer", "op", e.Operation().String())
			select {
			case f.n.leaseFree <- struct{}{}: // campaign: try now, not at the next poll
			default:
			}
		}
	}
}

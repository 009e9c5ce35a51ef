package cluster

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"checkgrid/protocol"
)

// Forwarding bounds.
const (
	// maxPending bounds the changes a node holds for the sequencer; past
	// it Sets are refused (Reject storage) rather than queued without end.
	// 65,536 boxes is 3 s of a node's share of a busy grid.
	maxPending = 1 << 16
	// requestTimeout: a sequencer answers a batch in well under a
	// millisecond; one that takes this long is gone or stopped.
	requestTimeout = 500 * time.Millisecond
	retryEvery     = 100 * time.Millisecond
	// giveUpAfter: a batch not committed after this long is dropped and
	// counted, so a long outage does not replay stale intents later.
	giveUpAfter = 10 * time.Second
)

// forwarder batches this node's accepted changes for the sequencer: one
// request at a time, carrying up to protocol.MaxSetBoxes boxes as a Set
// frame, with the node's name and a batch number so that a retry after a
// lost reply is applied once. While a batch is out, new changes pile up in
// a map (index -> wanted value: set semantics, the latest wins) and go in
// the next batch, so batching grows with load by itself.
type forwarder struct {
	n      *Node
	mu     sync.Mutex
	want   map[uint32]bool
	wake   chan struct{}
	target atomic.Pointer[string] // the sequencer's node name; nil: none known
	failed atomic.Bool            // the last request failed and is being retried
	batch  uint64
}

func newForwarder(n *Node) *forwarder {
	return &forwarder{n: n, want: make(map[uint32]bool), wake: make(chan struct{}, 1)}
}

// writable: connected, a sequencer is known, and the last batch did not
// fail.
func (f *forwarder) writable() bool {
	return f.n.nc.IsConnected() && f.target.Load() != nil && !f.failed.Load()
}

func (f *forwarder) submit(changes []protocol.Change) bool {
	if !f.writable() {
		return false
	}
	f.mu.Lock()
	if len(f.want)+len(changes) > maxPending {
		f.mu.Unlock()
		f.n.m.refusedFull.Add(1)
		return false
	}
	for _, c := range changes {
		f.want[c.Index] = c.Value
	}
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
	return true
}

// take removes up to MaxSetBoxes wanted changes, sorted.
func (f *forwarder) take(dst []protocol.Change) []protocol.Change {
	f.mu.Lock()
	for i, v := range f.want {
		if len(dst) == protocol.MaxSetBoxes {
			break
		}
		dst = append(dst, protocol.Change{Index: i, Value: v})
		delete(f.want, i)
	}
	more := len(f.want) > 0
	f.mu.Unlock()
	slices.SortFunc(dst, func(a, b protocol.Change) int { return int(a.Index) - int(b.Index) })
	if more {
		select {
		case f.wake <- struct{}{}:
		default:
		}
	}
	return dst
}

func (f *forwarder) run(ctx context.Context) {
	var changes []protocol.Change
	var frame []byte
	for {
		select {
		case <-ctx.Done():
			return
		case <-f.wake:
		}
		if changes = f.take(changes[:0]); len(changes) == 0 {
			continue
		}
		var err error
		if frame, err = protocol.AppendSet(frame[:0], changes); err != nil {
			f.n.log.Error("forward: encode", "err", err) // sorted and in range: a bug
			continue
		}
		f.batch++
		f.send(ctx, frame, len(changes))
	}
}

// send delivers one batch, retrying (same batch number, possibly to a new
// sequencer) until it is acknowledged or giveUpAfter passes.
func (f *forwarder) send(ctx context.Context, frame []byte, boxes int) {
	msg := &nats.Msg{Data: frame, Header: nats.Header{}}
	msg.Header.Set(hdrNode, f.n.cfg.Node)
	msg.Header.Set(hdrBatch, strconv.FormatUint(f.batch, 10))
	start := time.Now()
	for {
		if t := f.target.Load(); t != nil {
			msg.Subject = setPrefix + *t
			rctx, cancel := context.WithTimeout(ctx, requestTimeout)
			reply, err := f.n.nc.RequestMsgWithContext(rctx, msg)
			cancel()
			if err == nil && len(reply.Data) == 0 {
				if f.failed.Swap(false) {
					f.n.log.Info("forward: sequencer answering again", "sequencer", *t)
				}
				f.n.m.forwarded.Add(uint64(boxes))
				return
			}
			if err == nil {
				// The sequencer refused the batch as malformed: a bug on
				// one side; retrying cannot help.
				f.n.log.Error("forward: batch refused", "reason", string(reply.Data))
				return
			}
			if !f.failed.Swap(true) {
				f.n.log.Warn("forward: sequencer not answering; refusing Sets", "sequencer", *t, "err", err)
			}
		} else {
			f.failed.Store(true)
		}
		if time.Since(start) > giveUpAfter {
			f.n.m.droppedBoxes.Add(uint64(boxes))
			f.n.log.Warn("forward: batch dropped after retries", "boxes", boxes)
			return
		}
		if !sleep(ctx, retryEvery) {
			return
		}
	}
}

// watchLease follows the lease key so the forwarder sends to whoever
// holds it; an expired or deleted lease (a limit marker or delete) means
// no sequencer until the next one.
func (f *forwarder) watchLease(ctx context.Context) {
	for ctx.Err() == nil {
		w, err := f.n.h.lease.Watch(ctx, LeaseKey)
		if err != nil {
			f.n.log.Warn("lease watch", "err", err)
			sleep(ctx, retryEvery)
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
				f.failed.Store(false)
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

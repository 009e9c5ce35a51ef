package cluster

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// The lease is one key in a KV bucket whose TTL is Config.LeaseTTL: whoever
// creates the key (Create succeeds only if it is absent, expired or
// deleted) is the sequencer until it fails to renew it (Update with the
// last revision) within the TTL. The bucket keeps limit markers, so a key
// that expires shows up in watchers as a purge: nodes stop sending Sets
// to a holder that is gone.
//
// The epoch of a tenure is the revision Create returned. Revisions are the
// KV stream's seq, so every new lease has a larger epoch than any before:
// a fencing token. The fence that matters, though, is the Delta stream's
// expected last seq: a stale holder can only publish on top of the seq it
// built on, and any newer publish makes that fail.

// leaseMargin is the part of the TTL a holder gives up to clock rate and
// request latency: it stops publishing after TTL×(1-1/leaseMargin) without
// a renewal, before the server could let anyone else take the key.
const leaseMargin = 4

// tenure is one holding of the lease.
type tenure struct {
	Epoch   uint64
	rev     atomic.Uint64
	renewed atomic.Int64 // monotonic ns (since leaseClock) when the last successful renewal was sent
	ttl     time.Duration
}

var leaseClock = time.Now() // a monotonic origin for tenure.renewed

func monoNow() int64 { return int64(time.Since(leaseClock)) }

// valid reports whether this holder may still act: its last renewal was
// sent less than TTL - TTL/leaseMargin ago. The monotonic clock runs on
// while the process is stopped (SIGSTOP), so a paused holder wakes up
// invalid.
func (t *tenure) valid() bool {
	return time.Duration(monoNow()-t.renewed.Load()) < t.ttl-t.ttl/leaseMargin
}

// acquire tries to take the lease; nil, nil means someone holds it.
func acquire(ctx context.Context, kv jetstream.KeyValue, node string, ttl time.Duration) (*tenure, error) {
	sent := monoNow()
	rev, err := kv.Create(ctx, LeaseKey, []byte(node))
	if errors.Is(err, jetstream.ErrKeyExists) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	t := &tenure{Epoch: rev, ttl: ttl}
	t.rev.Store(rev)
	t.renewed.Store(sent)
	return t, nil
}

// renew extends t. An error that is ErrLeaseLost means someone else holds
// the key now (or it expired); others may be transient.
func renew(ctx context.Context, kv jetstream.KeyValue, node string, t *tenure) error {
	sent := monoNow()
	rev, err := kv.Update(ctx, LeaseKey, []byte(node), t.rev.Load())
	if err != nil {
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) && isWrongLast(apiErr) || errors.Is(err, jetstream.ErrKeyExists) {
			return errors.Join(ErrLeaseLost, err)
		}
		return err
	}
	t.rev.Store(rev)
	t.renewed.Store(sent)
	return nil
}

// release gives the lease up at once (clean shutdown or step-down), so
// the next sequencer need not wait out the TTL. It deletes only our own
// revision.
func release(ctx context.Context, kv jetstream.KeyValue, t *tenure) error {
	return kv.Delete(ctx, LeaseKey, jetstream.LastRevision(t.rev.Load()))
}

// isWrongLast reports a compare-and-set conflict: 10071, or 10164 which a
// replicated stream returns for the same thing.
func isWrongLast(e *jetstream.APIError) bool {
	return e.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		e.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant
}

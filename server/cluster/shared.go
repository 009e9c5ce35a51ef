package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// The operator's state every node shares (issue 23): freezes and bans
// (moderation.go), the announcement (announce.go) and the bot tokens
// (bots.go), each one JSON document under one key of the KV bucket
// checkgrid_moderation. A change is a compare-and-set on the key's
// revision, retried on the newest document when another node wrote
// meanwhile; every node watches each key on a goroutine of its own and
// adopts each new document as it is delivered, so a change made on one
// node holds on all of them within the watch's latency (milliseconds on a
// LAN; the tests hold it to a second).
const (
	operatorBucket = "checkgrid_moderation" // its first keys were the rules'
	// sharedTries bounds the compare-and-set retries of one change: each
	// lost race means another operator's change landed, so a few is
	// plenty.
	sharedTries = 8
	// sharedTimeout bounds one change's round trips to JetStream.
	sharedTimeout = 5 * time.Second
)

// ErrShared means a shared document could not be read or written.
var ErrShared = errors.New("cluster: shared operator state")

// shared is one document of type T under key: its Update is the
// packages' Store (moderation.Store, announce.Store, bots.Store).
type shared[T any] struct {
	kv  jetstream.KeyValue
	key string
	w   jetstream.KeyWatcher
}

// operatorKV is the operator's bucket, created (or its config updated)
// once per node: the first call that succeeds keeps it.
type operatorKV struct {
	mu sync.Mutex
	kv jetstream.KeyValue
}

func (n *Node) operatorKV(ctx context.Context) (jetstream.KeyValue, error) {
	n.opKV.mu.Lock()
	defer n.opKV.mu.Unlock()
	if n.opKV.kv != nil {
		return n.opKV.kv, nil
	}
	kv, err := n.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: operatorBucket, Description: "checkgrid: the operator's shared state (freezes and bans, announcement, bot tokens)",
		History: 1, Storage: jetstream.FileStorage, Replicas: n.cfg.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("bucket: %w", err)
	}
	n.opKV.kv = kv
	return kv, nil
}

// openShared starts watching key and returns its document as stored now
// (the zero T when there is none), waiting (untilUp) while JetStream does
// not answer. The watch delivers the current value first, then every
// change: no change falls between reading and watching. follow must be
// called to consume the watch.
func openShared[T any](ctx context.Context, n *Node, key string) (*shared[T], T, error) {
	type opened struct {
		s       *shared[T]
		initial T
	}
	o, err := untilUp(ctx, n.log, "shared "+key, func(actx context.Context) (opened, error) {
		kv, err := n.operatorKV(actx)
		if err != nil {
			return opened{}, err
		}
		// The watch outlives this try: it follows key until ctx ends.
		w, err := kv.Watch(ctx, key)
		if err != nil {
			return opened{}, fmt.Errorf("watch: %w", err)
		}
		var initial T
		select {
		case e := <-w.Updates():
			if e != nil && e.Operation() == jetstream.KeyValuePut {
				if err := json.Unmarshal(e.Value(), &initial); err != nil {
					_ = w.Stop()
					return opened{}, fmt.Errorf("%w: %w", ErrCorrupt, err)
				}
			}
		case <-actx.Done():
			_ = w.Stop()
			return opened{}, fmt.Errorf("watch: %w", actx.Err())
		}
		return opened{&shared[T]{kv: kv, key: key, w: w}, initial}, nil
	})
	if err != nil {
		var zero T
		return nil, zero, fmt.Errorf("%w: %s: %w", ErrShared, key, err)
	}
	return o.s, o.initial, nil
}

// follow hands every document written from now on to adopt, on a
// goroutine of its own, until ctx ends; one it cannot read is logged and
// skipped.
func (s *shared[T]) follow(ctx context.Context, n *Node, adopt func(T) error) {
	go func() {
		defer func() { _ = s.w.Stop() }()
		for {
			select {
			case <-ctx.Done():
				return
			case e, ok := <-s.w.Updates():
				if !ok {
					return
				}
				if e == nil || e.Operation() != jetstream.KeyValuePut {
					continue
				}
				var v T
				err := json.Unmarshal(e.Value(), &v)
				if err == nil {
					err = adopt(v)
				}
				if err != nil {
					n.log.Error("shared operator state: skipped a document", "key", s.key, "revision", e.Revision(), "err", err)
				}
			}
		}
	}()
}

// Update reads the newest document, edits it, and writes it back if
// nobody wrote meanwhile, else again.
func (s *shared[T]) Update(edit func(v *T) error) (T, error) {
	var zero T
	ctx, cancel := context.WithTimeout(context.Background(), sharedTimeout)
	defer cancel()
	for range sharedTries {
		var v T
		var rev uint64
		e, err := s.kv.Get(ctx, s.key)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
		case err != nil:
			return zero, fmt.Errorf("%w: %s: read: %w", ErrShared, s.key, err)
		default:
			rev = e.Revision()
			if err := json.Unmarshal(e.Value(), &v); err != nil {
				return zero, fmt.Errorf("%w: %s: %w", ErrShared, s.key, err)
			}
		}
		if err := edit(&v); err != nil {
			return zero, err
		}
		b, err := json.Marshal(v)
		if err != nil {
			return zero, fmt.Errorf("%w: %s: %w", ErrShared, s.key, err)
		}
		if rev == 0 {
			_, err = s.kv.Create(ctx, s.key, b)
		} else {
			_, err = s.kv.Update(ctx, s.key, b, rev)
		}
		var apiErr *jetstream.APIError
		switch {
		case err == nil:
			return v, nil
		case errors.Is(err, jetstream.ErrKeyExists), errors.As(err, &apiErr) && isWrongLast(apiErr):
			continue // another node wrote first: edit the newer document
		default:
			return zero, fmt.Errorf("%w: %s: write: %w", ErrShared, s.key, err)
		}
	}
	return zero, fmt.Errorf("%w: %s: lost %d races to other writers", ErrShared, s.key, sharedTries)
}

package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"checkgrid/server/moderation"

	"github.com/nats-io/nats.go/jetstream"
)

// Freezes and bans shared by every node (issue 23): the rules' list is one
// key of the KV bucket checkgrid_moderation. A change is a
// compare-and-set on the key's revision (retried on the newest list when
// another node wrote meanwhile); every node watches the key and adopts
// each new list as it is delivered, so a ban made on one node holds on
// all of them within the watch's latency (milliseconds on a LAN; the
// test holds it to a second).
const (
	moderationBucket = "checkgrid_moderation"
	moderationKey    = "rules"
	// moderationTries bounds the compare-and-set retries of one change:
	// each lost race means another operator's change landed, so a few
	// is plenty.
	moderationTries = 8
	// moderationTimeout bounds one change's round trips to JetStream.
	moderationTimeout = 5 * time.Second
)

// ErrModeration means the shared rules could not be read or written.
var ErrModeration = errors.New("cluster: shared moderation rules")

// kvRules is moderation.Store on the KV key.
type kvRules struct {
	kv jetstream.KeyValue
}

// Moderation returns the cluster's shared freezes and bans, as in force
// now, kept up to date with every node's changes until ctx ends (a watch,
// on a goroutine of its own that logs and skips a list it cannot read).
func (n *Node) Moderation(ctx context.Context) (*moderation.Rules, error) {
	octx, cancel := context.WithTimeout(ctx, moderationTimeout)
	defer cancel()
	kv, err := n.js.CreateOrUpdateKeyValue(octx, jetstream.KeyValueConfig{
		Bucket: moderationBucket, Description: "checkgrid: freezes and bans",
		History: 1, Storage: jetstream.FileStorage, Replicas: n.cfg.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: bucket: %w", ErrModeration, err)
	}
	// The watch delivers the current list first (or nil when there is
	// none), then every change: no change falls between reading and
	// watching.
	w, err := kv.Watch(ctx, moderationKey)
	if err != nil {
		return nil, fmt.Errorf("%w: watch: %w", ErrModeration, err)
	}
	var initial moderation.List
	select {
	case e := <-w.Updates():
		if e != nil && e.Operation() == jetstream.KeyValuePut {
			if err := json.Unmarshal(e.Value(), &initial); err != nil {
				_ = w.Stop()
				return nil, fmt.Errorf("%w: %w", ErrModeration, err)
			}
		}
	case <-octx.Done():
		_ = w.Stop()
		return nil, fmt.Errorf("%w: watch: %w", ErrModeration, octx.Err())
	}
	rules, err := moderation.NewShared(&kvRules{kv: kv}, initial)
	if err != nil {
		_ = w.Stop()
		return nil, err
	}
	go func() {
		defer func() { _ = w.Stop() }()
		for {
			select {
			case <-ctx.Done():
				return
			case e, ok := <-w.Updates():
				if !ok {
					return
				}
				if e == nil || e.Operation() != jetstream.KeyValuePut {
					continue
				}
				var l moderation.List
				err := json.Unmarshal(e.Value(), &l)
				if err == nil {
					err = rules.Adopt(l)
				}
				if err != nil {
					n.log.Error("shared moderation rules: skipped a list", "revision", e.Revision(), "err", err)
				}
			}
		}
	}()
	return rules, nil
}

// Update is moderation.Store's: read the newest list, edit it, write it
// back if nobody wrote meanwhile, else again.
func (s *kvRules) Update(edit func(l *moderation.List) error) (moderation.List, error) {
	ctx, cancel := context.WithTimeout(context.Background(), moderationTimeout)
	defer cancel()
	for range moderationTries {
		var l moderation.List
		var rev uint64
		e, err := s.kv.Get(ctx, moderationKey)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
		case err != nil:
			return moderation.List{}, fmt.Errorf("%w: read: %w", ErrModeration, err)
		default:
			rev = e.Revision()
			if err := json.Unmarshal(e.Value(), &l); err != nil {
				return moderation.List{}, fmt.Errorf("%w: %w", ErrModeration, err)
			}
		}
		if err := edit(&l); err != nil {
			return moderation.List{}, err
		}
		b, err := json.Marshal(l)
		if err != nil {
			return moderation.List{}, fmt.Errorf("%w: %w", ErrModeration, err)
		}
		if rev == 0 {
			_, err = s.kv.Create(ctx, moderationKey, b)
		} else {
			_, err = s.kv.Update(ctx, moderationKey, b, rev)
		}
		var apiErr *jetstream.APIError
		switch {
		case err == nil:
			return l, nil
		case errors.Is(err, jetstream.ErrKeyExists), errors.As(err, &apiErr) && isWrongLast(apiErr):
			continue // another node wrote first: edit the newer list
		default:
			return moderation.List{}, fmt.Errorf("%w: write: %w", ErrModeration, err)
		}
	}
	return moderation.List{}, fmt.Errorf("%w: lost %d races to other writers", ErrModeration, moderationTries)
}

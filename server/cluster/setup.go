package cluster

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"checkgrid/server/pause"
)

// Connection behaviour. A node never gives up on NATS: while it is
// disconnected it refuses Sets and serves what it has, and the client
// reconnects by itself (to any server it knows of).
const (
	reconnectWait   = 250 * time.Millisecond
	reconnectJitter = 250 * time.Millisecond
	// pingEvery × maxPingsOut is how long a silently dead server (kill -9
	// of its host, a cut cable) takes to be noticed: the default two
	// minutes would keep a node attached to nothing that long.
	pingEvery   = 1 * time.Second
	maxPingsOut = 3
	setupRetry  = 250 * time.Millisecond
	apiTimeout  = 5 * time.Second
	// dupWindow: a retried publish of one Delta (lost ack) is recognised
	// by its Nats-Msg-Id for this long; retries stop well within it.
	dupWindow = 2 * time.Minute
	// leaseMarkerTTL keeps the marker of an expired lease long enough for
	// every watcher to see it.
	leaseMarkerTTL = 5 * time.Second
	// snapHistory: the newest snapshot only; older ones are of no use.
	snapHistory = 1
)

func connect(cfg Config) (*nats.Conn, error) {
	if len(cfg.URLs) == 0 {
		return nil, fmt.Errorf("%w: no NATS URL", ErrConfig)
	}
	opts := []nats.Option{
		nats.Name("checkgrid " + cfg.Node),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(reconnectWait),
		nats.ReconnectJitter(reconnectJitter, reconnectJitter),
		nats.PingInterval(pingEvery),
		nats.MaxPingsOutstanding(maxPingsOut),
		nats.RetryOnFailedConnect(true),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			cfg.Logger.Warn("nats disconnected", "err", err)
		}),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subj := ""
			if sub != nil {
				subj = sub.Subject
			}
			cfg.Logger.Warn("nats", "subject", subj, "err", err)
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			cfg.Logger.Info("nats reconnected", "url", nc.ConnectedUrlRedacted())
		}),
	}
	if cfg.OnlyURLs {
		opts = append(opts, nats.IgnoreDiscoveredServers())
	}
	return nats.Connect(strings.Join(cfg.URLs, ","), opts...)
}

// handles are the JetStream objects a node uses.
type handles struct {
	stream jetstream.Stream
	lease  jetstream.KeyValue
	snaps  jetstream.KeyValue
	meta   jetstream.KeyValue
}

// untilUp runs step until it succeeds, giving each try apiTimeout, or
// until ctx ends. A JetStream cluster that is still electing its meta
// leader, or whose server this node reached is restarting, answers with
// errors or not at all for a few seconds; a node that is starting waits
// that out, saying so in its log, rather than exit (a node restarted in
// the middle of a JetStream server's restart must still come up). Only a
// corrupt document (ErrCorrupt) ends the wait at once: no retry mends it.
func untilUp[T any](ctx context.Context, log *slog.Logger, what string, step func(ctx context.Context) (T, error)) (T, error) {
	for {
		actx, cancel := context.WithTimeout(ctx, apiTimeout)
		v, err := step(actx)
		cancel()
		if err == nil || errors.Is(err, ErrCorrupt) {
			return v, err
		}
		log.Info("waiting for JetStream", "step", what, "err", err)
		if !pause.For(ctx, setupRetry) {
			return v, fmt.Errorf("%s: %w (last error: %w)", what, ctx.Err(), err)
		}
	}
}

// ensure creates (or updates to this config) the stream and buckets,
// waiting (untilUp) for a cluster that is still forming.
func ensure(ctx context.Context, js jetstream.JetStream, cfg Config) (handles, error) {
	return untilUp(ctx, cfg.Logger, "jetstream setup", func(actx context.Context) (handles, error) {
		return ensureOnce(actx, js, cfg)
	})
}

func ensureOnce(actx context.Context, js jetstream.JetStream, cfg Config) (handles, error) {
	var h handles
	var err error
	h.stream, err = js.CreateOrUpdateStream(actx, jetstream.StreamConfig{
		Name:        StreamName,
		Description: "checkgrid: one message per Delta; the stream seq is the Delta seq",
		Subjects:    []string{DeltaSubject},
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
		Retention:   jetstream.LimitsPolicy,
		MaxMsgs:     streamLimit(cfg.Retain),
		MaxBytes:    streamLimit(cfg.MaxBytes),
		MaxAge:      max(0, cfg.MaxAge),
		Discard:     jetstream.DiscardOld,
		Duplicates:  dupWindow,
		// After commit, the leader sends each Delta to LiveSubject with its
		// stream seq and the previous one in headers: every node's live feed.
		RePublish: &jetstream.RePublish{Source: DeltaSubject, Destination: LiveSubject},
	})
	if err != nil {
		return h, fmt.Errorf("stream: %w", err)
	}
	if h.lease, err = js.CreateOrUpdateKeyValue(actx, jetstream.KeyValueConfig{
		Bucket: LeaseBucket, Description: "checkgrid: who sequences",
		History: 1, TTL: cfg.LeaseTTL, LimitMarkerTTL: leaseMarkerTTL,
		Storage: jetstream.FileStorage, Replicas: cfg.Replicas,
	}); err != nil {
		return h, fmt.Errorf("lease bucket: %w", err)
	}
	if h.snaps, err = js.CreateOrUpdateKeyValue(actx, jetstream.KeyValueConfig{
		Bucket: snapBucket, Description: "checkgrid: the newest grid snapshot",
		History: snapHistory, Storage: jetstream.FileStorage, Replicas: cfg.Replicas,
	}); err != nil {
		return h, fmt.Errorf("snapshot bucket: %w", err)
	}
	if h.meta, err = js.CreateOrUpdateKeyValue(actx, jetstream.KeyValueConfig{
		Bucket: metaBucket, Description: "checkgrid: the history epoch",
		History: 1, Storage: jetstream.FileStorage, Replicas: cfg.Replicas,
	}); err != nil {
		return h, fmt.Errorf("meta bucket: %w", err)
	}
	return h, nil
}

// historyEpoch returns the grid's history epoch, creating it if this is
// the first node of a new cluster. Every node announces the same one, so a
// player that moves between nodes keeps its state.
func historyEpoch(ctx context.Context, log *slog.Logger, meta jetstream.KeyValue) (uint64, error) {
	var b [8]byte
	for {
		_, _ = rand.Read(b[:])
		if binary.LittleEndian.Uint64(b[:]) != 0 {
			break
		}
	}
	v, err := createOrRead(ctx, log, meta, historyKey, b[:])
	if err != nil {
		return 0, fmt.Errorf("history epoch: %w", err)
	}
	return binary.LittleEndian.Uint64(v), nil
}

// createOrRead stores v under key unless a value is there already, and
// returns the one stored: the first node's, the same for every node. A
// stored value of another length is ErrCorrupt.
func createOrRead(ctx context.Context, log *slog.Logger, meta jetstream.KeyValue, key string, v []byte) ([]byte, error) {
	return untilUp(ctx, log, key, func(actx context.Context) ([]byte, error) {
		if _, err := meta.Create(actx, key, v); err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
			return nil, err
		}
		e, err := meta.Get(actx, key)
		if err != nil {
			return nil, err
		}
		if len(e.Value()) != len(v) {
			return nil, fmt.Errorf("%w: %s of %d bytes, not %d", ErrCorrupt, key, len(e.Value()), len(v))
		}
		return e.Value(), nil
	})
}

// SharedKey returns the cluster's secret called name: size random bytes,
// made by the first node that asks and the same for every node after.
// Anyone allowed to read the meta bucket can read it; NATS permissions
// are what protects it.
func (n *Node) SharedKey(ctx context.Context, name string, size int) ([]byte, error) {
	b := make([]byte, size)
	_, _ = rand.Read(b)
	v, err := createOrRead(ctx, n.log, n.h.meta, "key_"+name, b)
	if err != nil {
		return nil, fmt.Errorf("shared key %s: %w", name, err)
	}
	return v, nil
}

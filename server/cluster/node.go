package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"checkgrid/protocol"
	"checkgrid/server/pipeline"
)

// releaseTimeout bounds giving the lease back on shutdown.
const releaseTimeout = 2 * time.Second

// Node is one checkgrid server's part of the cluster: its replica's feed,
// its players' Set forwarding, its online count, and its candidacy for
// the sequencer lease. It is the hub's Upstream (hub.Upstream).
type Node struct {
	cfg     Config
	log     *slog.Logger
	nc      *nats.Conn
	js      jetstream.JetStream
	h       handles
	History uint64 // the history epoch every node announces

	feed       *feed
	fwd        *forwarder
	online     *online
	m          *stats
	sequencing atomic.Bool
	leaseFree  chan struct{} // the lease watch saw it expire or be released
	opKV       operatorKV    // the operator's bucket (shared.go)
	committed  committedGrid // the feed's replica, for Submit's count (committed.go)
}

// Open connects to NATS, creates the stream and buckets if this is the
// first node, and reads the history epoch. It waits (until ctx ends) for a
// cluster that is still forming.
func Open(ctx context.Context, cfg Config) (*Node, error) {
	cfg = cfg.withDefaults()
	if cfg.Node == "" {
		var b [4]byte
		_, _ = rand.Read(b[:])
		cfg.Node = defaultPrefix + hex.EncodeToString(b[:])
	}
	if !validName(cfg.Node) {
		return nil, fmt.Errorf("%w: node name %q (letters, digits, - and _ only)", ErrConfig, cfg.Node)
	}
	n := &Node{cfg: cfg, log: cfg.Logger.With("node", cfg.Node), m: newStats(), leaseFree: make(chan struct{}, 1)}
	var err error
	if n.nc, err = connect(cfg); err != nil {
		return nil, fmt.Errorf("nats: %w", err)
	}
	n.log.Info("nats connected", "url", n.nc.ConnectedUrlRedacted(), "server", n.nc.ConnectedServerName())
	if n.js, err = jetstream.New(n.nc); err != nil {
		n.nc.Close()
		return nil, err
	}
	if n.h, err = ensure(ctx, n.js, cfg); err != nil {
		n.nc.Close()
		return nil, err
	}
	if n.History, err = historyEpoch(ctx, n.log, n.h.meta); err != nil {
		n.nc.Close()
		return nil, err
	}
	n.feed = newFeed(n)
	n.fwd = newForwarder(n)
	n.online = newOnline(n)
	return n, nil
}

// validName: a node name is a NATS subject token and a header value.
func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// Name is the node's name.
func (n *Node) Name() string { return n.cfg.Node }

// Run runs the node until ctx ends: feed, forwarding, counters, and the
// campaign for the lease. On return the lease, if held, is released and
// the connection closed.
func (n *Node) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	errc := make(chan error, 1)
	wg.Add(4)
	go func() {
		defer wg.Done()
		if err := n.feed.run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			errc <- err
		}
	}()
	go func() {
		defer wg.Done()
		n.fwd.run(ctx)
	}()
	go func() {
		defer wg.Done()
		n.fwd.watchLease(ctx)
	}()
	go func() {
		defer wg.Done()
		n.online.run(ctx)
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-n.feed.ready:
			n.campaign(ctx)
		case <-ctx.Done():
		}
	}()
	wg.Wait()
	n.nc.Close()
	close(errc)
	return <-errc
}

// Ready is closed once the replica has caught up with the stream the
// first time.
func (n *Node) Ready() <-chan struct{} { return n.feed.ready }

// campaign tries for the lease every TTL/4; holding it, it renews every
// TTL/4 and sequences until the lease is lost, the sequencer is fenced, or
// ctx ends.
func (n *Node) campaign(ctx context.Context) {
	every := n.cfg.LeaseTTL / leaseMargin
	for ctx.Err() == nil {
		actx, cancel := context.WithTimeout(ctx, every)
		t, err := acquire(actx, n.h.lease, n.cfg.Node, n.cfg.LeaseTTL)
		cancel()
		if err != nil && ctx.Err() == nil {
			n.log.Debug("lease", "err", err)
		}
		if t == nil {
			select {
			case <-ctx.Done():
			case <-n.leaseFree:
			case <-time.After(every):
			}
			continue
		}
		n.hold(ctx, t)
	}
}

// hold sequences for one tenure.
func (n *Node) hold(ctx context.Context, t *tenure) {
	sctx, stop := context.WithCancelCause(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer stop(ErrLeaseLost) // keep returns only when the lease is lost (or ctx ended)
		n.keep(sctx, t)
	}()
	err := n.sequence(sctx, t)
	if errors.Is(err, context.Canceled) {
		err = context.Cause(sctx)
	}
	stop(nil)
	wg.Wait()
	switch {
	case ctx.Err() != nil:
		n.log.Info("sequencer: stopping, releasing the lease", "epoch", t.Epoch)
	default:
		n.log.Warn("sequencer: stepping down", "epoch", t.Epoch, "err", err)
	}
	// Give the lease back so the next sequencer need not wait out the TTL.
	// The delete names our last revision: if someone else holds the key
	// now (fenced, or lost), it is refused and changes nothing.
	rctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
	_ = release(rctx, n.h.lease, t)
	cancel()
}

// keep renews t every TTL/4 until it is lost or ctx ends.
func (n *Node) keep(ctx context.Context, t *tenure) {
	every := n.cfg.LeaseTTL / leaseMargin
	tk := time.NewTicker(every)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
		}
		if !t.valid() {
			n.log.Warn("sequencer: lease not renewed in time", "epoch", t.Epoch)
			return
		}
		rctx, cancel := context.WithTimeout(ctx, every)
		err := renew(rctx, n.h.lease, n.cfg.Node, t)
		cancel()
		if errors.Is(err, ErrLeaseLost) {
			n.log.Warn("sequencer: lease taken", "epoch", t.Epoch, "err", err)
			return
		}
		if err != nil {
			n.log.Warn("sequencer: lease renewal failed", "epoch", t.Epoch, "err", err)
		}
	}
}

// Feed, Writable, Submit and Online make a Node the hub's upstream.

// Feed yields the replica's committed history, a reset first.
func (n *Node) Feed() <-chan pipeline.Committed { return n.feed.out }

// Writable reports whether Sets can reach a sequencer now.
func (n *Node) Writable() bool { return n.fwd.writable() }

// Submit queues changes for the sequencer; lost gets them back if they
// are not committed within AcceptBound. What flips is the sequencer's to
// know; toggled is how many differ from the committed grid this node has
// (committed.go), for the hub's counts of who toggles.
func (n *Node) Submit(changes []protocol.Change, lost func([]protocol.Change)) (toggled int, ok bool) {
	if !n.fwd.submit(changes, lost) {
		return 0, false
	}
	return n.committed.flips(changes), true
}

// Online is the cluster-wide player count.
func (n *Node) Online(local int64) int64 { return n.online.total(local) }

// Sequencing reports whether this node is the sequencer now.
func (n *Node) Sequencing() bool { return n.sequencing.Load() }

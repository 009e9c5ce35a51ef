package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/cluster"
	"checkgrid/server/history"
	"checkgrid/server/hub"
	"checkgrid/server/identity"
	"checkgrid/server/metrics"
	"checkgrid/server/tally"
)

// clusterOperator is the operator's side of a cluster node (admin.Hub):
// its changes go to the sequencer as one operator batch
// (cluster.Node.Impose), and the answer waits until this node's hub has
// published the Delta holding them, so "every player has been sent them by
// seq S" holds here as in the single process. Box reads a copy of the
// node's replica, taken again when the hub has moved to a newer seq.
type clusterOperator struct {
	node *cluster.Node
	hub  *hub.Hub
	log  *slog.Logger

	mu   sync.Mutex
	seq  uint64
	grid *protocol.Bitset
}

// operatorWait bounds waiting for this node's hub to publish a committed
// operator change: the feed has it within a tick or two of the commit.
const operatorWait = 5 * time.Second

func (o *clusterOperator) Impose(ctx context.Context, a protocol.Area, want func(uint32) bool) (int, uint64, error) {
	n, seq, err := o.node.Impose(ctx, a, want)
	if err != nil {
		return n, seq, err
	}
	ctx, cancel := context.WithTimeout(ctx, operatorWait)
	defer cancel()
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for o.hub.Stats().Seq < seq {
		select {
		case <-ctx.Done():
			return n, seq, fmt.Errorf("committed at seq %d, not yet published by this node: %w", seq, ctx.Err())
		case <-t.C:
		}
	}
	return n, seq, nil
}

func (o *clusterOperator) Box(i uint32) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.grid == nil || o.hub.Stats().Seq > o.seq {
		ctx, cancel := context.WithTimeout(context.Background(), operatorWait)
		g, seq, err := o.node.Grid(ctx)
		cancel()
		if err != nil {
			// Only a feed stalled for operatorWait: the preview or image
			// shows unchecked boxes, and the log says why.
			o.log.Error("operator: reading the node's grid", "err", err)
			return false
		}
		o.grid, o.seq = g, seq
	}
	return o.grid.Get(i)
}

// openCluster joins the grid shared through NATS JetStream (-nats): the
// node catches its replica up with the stream before the hub serves
// anyone, then the hub follows the committed history and forwards its
// players' Sets. The player cookie key is the cluster's, so a player
// keeps their identity on every node. Nothing is written to -data.
func openCluster(ctx context.Context, cfg config, m *metrics.Metrics, logger *slog.Logger) (backend, error) {
	node, err := cluster.Open(ctx, cluster.Config{
		URLs: cfg.natsURLs(), Node: cfg.node, Retain: cfg.natsRetain, MaxBytes: cfg.historyMaxBytes, MaxAge: cfg.historyMaxAge, LeaseTTL: cfg.leaseTTL,
		SnapshotEvery: cfg.snapshotEvery, Tick: cfg.tick, Logger: logger, Metrics: m,
	})
	if err != nil {
		return backend{}, err
	}
	if err := m.Register(node.Collectors()...); err != nil {
		return backend{}, err
	}
	key, err := node.SharedKey(ctx, "identity", identity.KeySize)
	if err != nil {
		return backend{}, err
	}
	hlog, err := node.HistoryLog(ctx)
	if err != nil {
		return backend{}, err
	}
	// History: the stream is its log of record; every node follows it,
	// writes the keyframes (the same ones) and serves the same API.
	past := history.NewStream(hlog, 0, logger)
	hist := history.NewHandler(past, history.Limits{MaxBytes: cfg.historyMaxBytes, MaxAge: cfg.historyMaxAge, MaxRecords: cfg.natsRetain}, logger)
	// Freezes and bans are the cluster's (server/cluster/moderation.go).
	mctx, stopRules := context.WithCancel(context.Background())
	rules, err := node.Moderation(mctx)
	if err != nil {
		stopRules()
		return backend{}, err
	}
	// And so are the bot tokens.
	botReg, err := node.Bots(mctx)
	if err != nil {
		stopRules()
		return backend{}, err
	}
	hc := hubConfig(cfg)
	hc.Gate = rules
	// The top lists are this node's players' (the answer says so).
	tl := tally.New(0)
	hc.Tally = tl
	h := hub.New(hc, node, node.History, m, logger)
	// So is the announcement: every node shows each one to its players.
	board, err := node.Announcements(mctx, h)
	if err != nil {
		stopRules()
		return backend{}, err
	}
	nctx, stopNode := context.WithCancel(context.Background())
	done := make(chan error, 1)
	histDone := make(chan struct{})
	go func() { done <- node.Run(nctx) }()
	go func() {
		defer close(histDone)
		_ = past.Run(nctx)
	}()
	stop := func() {
		stopRules()
		stopNode()
		<-histDone
		if err := <-done; err != nil {
			logger.Error("cluster node", "err", err)
		}
	}
	select {
	case <-node.Ready():
	case <-ctx.Done():
		stop()
		return backend{}, ctx.Err()
	case err := <-done:
		stopRules()
		stopNode()
		<-histDone
		return backend{}, fmt.Errorf("cluster node: %w", err)
	}
	logger.Info("cluster: replica caught up", "node", node.Name(), "history", node.History)
	return backend{
		hub: h, operator: &clusterOperator{node: node, hub: h, log: logger}, past: past, key: key, rules: rules, board: board, bots: botReg, tally: tl, topScope: node.Name(), stop: stop, close: func() {}, history: hist,
		logAttrs: []any{"nats", strings.Join(cfg.natsURLs(), ","), "node", node.Name()},
	}, nil
}

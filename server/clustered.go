package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"checkgrid/protocol"
	"checkgrid/server/cluster"
	"checkgrid/server/history"
	"checkgrid/server/hub"
	"checkgrid/server/identity"
	"checkgrid/server/metrics"
)

// errClusterOperator is what the operator's changes get on a cluster
// node: they must be sequenced like a player's Set, by the lease holder,
// which takes only players' batches so far.
var errClusterOperator = errors.New("the operator's changes are not supported on a cluster node")

// noOperator is the operator's side of a cluster node (admin.Hub).
type noOperator struct{}

func (noOperator) Impose(context.Context, protocol.Area, func(uint32) bool) (int, uint64, error) {
	return 0, 0, errClusterOperator
}

// Box answers from no grid: a node's live grid is the lease holder's.
func (noOperator) Box(uint32) bool { return false }

// openCluster joins the grid shared through NATS JetStream (-nats): the
// node catches its replica up with the stream before the hub serves
// anyone, then the hub follows the committed history and forwards its
// players' Sets. The player cookie key is the cluster's, so a player
// keeps their identity on every node. Nothing is written to -data.
func openCluster(ctx context.Context, cfg config, m *metrics.Metrics, logger *slog.Logger) (backend, error) {
	node, err := cluster.Open(ctx, cluster.Config{
		URLs: cfg.natsURLs(), Node: cfg.node, Retain: cfg.natsRetain, MaxBytes: cfg.historyMaxBytes, MaxAge: cfg.historyMaxAge, LeaseTTL: cfg.leaseTTL,
		SnapshotEvery: cfg.snapshotEvery, Tick: cfg.tick, Logger: logger,
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
	hc := hubConfig(cfg)
	hc.Gate = rules
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
		hub: h, operator: noOperator{}, key: key, rules: rules, board: board, stop: stop, close: func() {}, history: hist,
		logAttrs: []any{"nats", strings.Join(cfg.natsURLs(), ","), "node", node.Name()},
	}, nil
}

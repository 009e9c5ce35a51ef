package cluster

import (
	"context"

	"checkgrid/server/announce"
)

// announceKey holds the announcement (announce.Record) in the operator's
// bucket (shared.go).
const announceKey = "announcement"

// Announcements returns the cluster's shared announcement board: the one
// up now is handed to sink at once, and every one posted or withdrawn on
// any node is handed to it as the watch delivers it, until ctx ends.
func (n *Node) Announcements(ctx context.Context, sink announce.Sink) (*announce.Board, error) {
	s, initial, err := openShared[announce.Record](ctx, n, announceKey)
	if err != nil {
		return nil, err
	}
	b, err := announce.NewShared(s, initial, sink)
	if err != nil {
		_ = s.w.Stop()
		return nil, err
	}
	s.follow(ctx, n, b.Adopt)
	return b, nil
}

package cluster

import (
	"context"

	"checkgrid/server/bots"
)

// botsKey holds the bot tokens (bots.List: names, quotas and the tokens'
// SHA-256, never a token) in the operator's bucket (shared.go).
const botsKey = "bots"

// Bots returns the cluster's shared bot tokens: a token issued through
// any node's admin API is taken by every node, and one revoked through any
// node is refused by every node and its connections to every node are cut
// within the watch's latency, until ctx ends.
func (n *Node) Bots(ctx context.Context) (*bots.Registry, error) {
	s, initial, err := openShared[bots.List](ctx, n, botsKey)
	if err != nil {
		return nil, err
	}
	r, err := bots.NewShared(s, initial)
	if err != nil {
		_ = s.w.Stop()
		return nil, err
	}
	s.follow(ctx, n, r.Adopt)
	return r, nil
}

package cluster

import (
	"context"

	"checkgrid/server/moderation"
)

// moderationKey holds the freezes and bans (moderation.List) in the
// operator's bucket (shared.go).
const moderationKey = "rules"

// Moderation returns the cluster's shared freezes and bans, as in force
// now, kept up to date with every node's changes until ctx ends.
func (n *Node) Moderation(ctx context.Context) (*moderation.Rules, error) {
	s, initial, err := openShared[moderation.List](ctx, n, moderationKey)
	if err != nil {
		return nil, err
	}
	rules, err := moderation.NewShared(s, initial)
	if err != nil {
		_ = s.w.Stop()
		return nil, err
	}
	s.follow(ctx, n, rules.Adopt)
	return rules, nil
}

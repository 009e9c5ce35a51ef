package bots

import "fmt"

// Shared tokens (cluster mode): the list lives in a Store every node reads
// and writes (server/cluster: a JetStream KV key), not in a file. Issue and
// Revoke write the store first, against the newest list there, and take
// effect on the node that made them when the store has them; every other
// node takes each list through Adopt when the store tells it (a KV watch:
// milliseconds), which cuts off the connections of every token it finds
// revoked.

// Store holds a cluster's shared list.
type Store interface {
	// Update applies edit to the newest stored list (the zero List if
	// none) and writes the result, atomically with respect to every other
	// writer, and returns what it wrote. An error from edit is returned
	// as it is and nothing is written.
	Update(edit func(l *List) error) (List, error)
}

// NewShared returns a registry kept in s, starting from initial (the list
// s holds now; the zero List for none).
func NewShared(s Store, initial List) (*Registry, error) {
	if initial.Version == 0 {
		initial = List{Version: fileVersion, NextID: 1}
	}
	r := &Registry{store: s, lanes: map[uint64]*Lane{}}
	if err := r.Adopt(initial); err != nil {
		return nil, err
	}
	return r, nil
}

// Adopt makes l, a list the store holds (written by any node), the
// tokens here, and cuts off this node's connections of every token l has
// revoked.
func (r *Registry) Adopt(l List) error {
	if err := check(l); err != nil {
		return fmt.Errorf("bots: shared list: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = l
	for _, t := range l.Tokens {
		if lane := r.lanes[t.ID]; lane != nil && t.RevokedAt != nil {
			lane.revoke()
			delete(r.lanes, t.ID)
		}
	}
	return nil
}

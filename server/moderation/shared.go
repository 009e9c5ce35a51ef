package moderation

import (
	"fmt"
	"slices"
	"time"
)

// Shared rules (cluster mode): the list lives in a Store every node reads
// and writes (server/cluster: a JetStream KV key), not in a file. A change
// is written to the store first, against the newest list there (so two
// operators on two nodes never lose one another's rules), and is live on
// the node that made it when the store has it; every other node takes it
// through Adopt when the store tells it (a KV watch: milliseconds).

// Store holds a cluster's shared list.
type Store interface {
	// Update applies edit to the newest stored list and writes the
	// result, atomically with respect to every other writer (retrying
	// edit on a newer list if one was written meanwhile), and returns
	// what it wrote. An error from edit is returned as it is and nothing
	// is written.
	Update(edit func(l *List) error) (List, error)
}

// NewShared returns rules kept in s, starting from initial (the list s
// holds now; the zero List for none).
func NewShared(s Store, initial List) (*Rules, error) {
	if initial.Version == 0 {
		initial = List{Version: fileVersion, NextID: 1}
	}
	r := &Rules{store: s}
	if err := r.Adopt(initial); err != nil {
		return nil, err
	}
	return r, nil
}

// Adopt makes l, a list the store holds (written by any node), the rules
// in force.
func (r *Rules) Adopt(l List) error {
	if l.Version != fileVersion {
		return fmt.Errorf("%w: version %d, want %d", ErrFile, l.Version, fileVersion)
	}
	v, err := build(l, time.Now())
	if err != nil {
		return fmt.Errorf("%w: %w", ErrFile, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = l
	r.view.Store(v)
	return nil
}

// changeShared is change for shared rules: edit runs on the store's
// newest list (expired bans dropped), which must still build.
func (r *Rules) changeShared(now time.Time, edit func(l *List) error) error {
	var v *view
	l, err := r.store.Update(func(l *List) error {
		if l.Version == 0 {
			*l = List{Version: fileVersion, NextID: 1}
		}
		l.Freezes = slices.Clone(l.Freezes)
		l.Bans = slices.DeleteFunc(slices.Clone(l.Bans), func(b Ban) bool { return expired(b, now) })
		if err := edit(l); err != nil {
			return err
		}
		var err error
		v, err = build(*l, now)
		return err
	})
	if err != nil {
		return err
	}
	r.list = l
	r.view.Store(v)
	return nil
}

package moderation

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/atomicfile"
)

// File is the rules' file in the data directory.
const File = "moderation.json"

// fileVersion is the file format's version (doc.go).
const fileVersion = 1

// Errors.
var (
	ErrFile    = errors.New("moderation: bad rules file")
	ErrRule    = errors.New("moderation: bad rule")
	ErrUnknown = errors.New("moderation: no such rule")
)

// Freeze is one frozen area; Area "" freezes the whole grid.
type Freeze struct {
	ID     uint64    `json:"id"`
	Area   string    `json:"area"`
	Reason string    `json:"reason,omitempty"`
	At     time.Time `json:"at"`
	By     string    `json:"by,omitempty"`
}

// Ban refuses every box a player (the signed identity) or an address
// prefix sets, until Until (zero: no expiry).
type Ban struct {
	ID     uint64     `json:"id"`
	Player string     `json:"player,omitempty"`
	Prefix string     `json:"prefix,omitempty"`
	Until  *time.Time `json:"until,omitempty"`
	Reason string     `json:"reason,omitempty"`
	At     time.Time  `json:"at"`
	By     string     `json:"by,omitempty"`
}

// List is every rule, as in the file.
type List struct {
	Version int      `json:"version"`
	NextID  uint64   `json:"next_id"`
	Freezes []Freeze `json:"freezes"`
	Bans    []Ban    `json:"bans"`
}

// Rules is the live set of rules, persisted in one file. Screen is safe
// for concurrent use with everything; changes are serialized.
type Rules struct {
	path  string
	store Store      // shared rules (cluster mode); nil: the file at path
	mu    sync.Mutex // changes
	list  List       // under mu
	view  atomic.Pointer[view]
}

// Open loads the rules from dir's File, or starts with none.
func Open(dir string) (*Rules, error) {
	r := &Rules{path: dir + string(os.PathSeparator) + File, list: List{Version: fileVersion, NextID: 1}}
	b, err := os.ReadFile(r.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("moderation: reading %s: %w", r.path, err)
	default:
		if err := json.Unmarshal(b, &r.list); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrFile, r.path, err)
		}
		if r.list.Version != fileVersion {
			return nil, fmt.Errorf("%w: %s: version %d, want %d", ErrFile, r.path, r.list.Version, fileVersion)
		}
	}
	v, err := build(r.list, time.Now())
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrFile, r.path, err)
	}
	r.view.Store(v)
	return r, nil
}

// List returns a copy of every rule in force at now.
func (r *Rules) List(now time.Time) List {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := r.list
	l.Freezes = slices.Clone(l.Freezes)
	l.Bans = slices.DeleteFunc(slices.Clone(l.Bans), func(b Ban) bool { return expired(b, now) })
	return l
}

func expired(b Ban, now time.Time) bool { return b.Until != nil && !now.Before(*b.Until) }

// change applies edit to a copy of the list, drops expired bans, writes the
// file and only then makes the result live: a rule the operator was told
// about survives a restart.
func (r *Rules) change(now time.Time, edit func(l *List) error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.store != nil {
		return r.changeShared(now, edit) // shared.go
	}
	l := r.list
	l.Freezes = slices.Clone(l.Freezes)
	l.Bans = slices.DeleteFunc(slices.Clone(l.Bans), func(b Ban) bool { return expired(b, now) })
	if err := edit(&l); err != nil {
		return err
	}
	v, err := build(l, now)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(l, "", "\t")
	if err != nil {
		return fmt.Errorf("moderation: encoding rules: %w", err)
	}
	if err := atomicfile.Write(r.path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("moderation: writing %s: %w", r.path, err)
	}
	r.list = l
	r.view.Store(v)
	return nil
}

// Freeze freezes area a (the whole grid if whole) and returns the rule.
func (r *Rules) Freeze(a protocol.Area, whole bool, reason, by string, now time.Time) (Freeze, error) {
	f := Freeze{Reason: reason, At: now.UTC(), By: by}
	if !whole {
		if err := a.Valid(); err != nil {
			return Freeze{}, fmt.Errorf("%w: %w", ErrRule, err)
		}
		f.Area = FormatArea(a)
	}
	err := r.change(now, func(l *List) error {
		f.ID = l.NextID
		l.NextID++
		l.Freezes = append(l.Freezes, f)
		return nil
	})
	return f, err
}

// Unfreeze lifts freeze id.
func (r *Rules) Unfreeze(id uint64, now time.Time) (Freeze, error) {
	var gone Freeze
	err := r.change(now, func(l *List) error {
		i := slices.IndexFunc(l.Freezes, func(f Freeze) bool { return f.ID == id })
		if i < 0 {
			return fmt.Errorf("%w: freeze %d", ErrUnknown, id)
		}
		gone = l.Freezes[i]
		l.Freezes = slices.Delete(l.Freezes, i, i+1)
		return nil
	})
	return gone, err
}

// Ban adds b (its ID and At are set here) after checking it.
func (r *Rules) Ban(b Ban, now time.Time) (Ban, error) {
	if err := checkBan(&b, now); err != nil {
		return Ban{}, err
	}
	b.At = now.UTC()
	err := r.change(now, func(l *List) error {
		b.ID = l.NextID
		l.NextID++
		l.Bans = append(l.Bans, b)
		return nil
	})
	return b, err
}

// Unban lifts ban id.
func (r *Rules) Unban(id uint64, now time.Time) (Ban, error) {
	var gone Ban
	err := r.change(now, func(l *List) error {
		i := slices.IndexFunc(l.Bans, func(b Ban) bool { return b.ID == id })
		if i < 0 {
			return fmt.Errorf("%w: ban %d", ErrUnknown, id)
		}
		gone = l.Bans[i]
		l.Bans = slices.Delete(l.Bans, i, i+1)
		return nil
	})
	return gone, err
}

// Screen is hub.Gate's: bans refuse the whole Set, frozen areas the boxes
// inside them.
func (r *Rules) Screen(player string, addr netip.Prefix, changes []protocol.Change, now time.Time) (int, []protocol.Change, protocol.RejectReason, time.Duration) {
	v := r.view.Load()
	if v.empty {
		return len(changes), nil, 0, 0
	}
	if until, ok := v.banned(player, addr, now); ok {
		var retry time.Duration
		if !until.IsZero() {
			retry = until.Sub(now)
		}
		return 0, changes, protocol.RejectBanned, retry
	}
	if v.whole {
		return 0, changes, protocol.RejectFrozen, 0
	}
	if v.frozen == nil {
		return len(changes), nil, 0, 0
	}
	n := 0
	var refused []protocol.Change
	for _, ch := range changes {
		if v.frozen.Get(ch.Index) {
			refused = append(refused, ch)
			continue
		}
		changes[n] = ch
		n++
	}
	return n, refused, protocol.RejectFrozen, 0
}

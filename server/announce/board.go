package announce

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"checkgrid/protocol"
)

// File is the announcement's file in the data directory.
const File = "announcement.json"

// fileVersion is the record format's version (doc.go).
const fileVersion = 1

// sinkTimeout bounds handing a record to the Sink: the hub takes it at
// once unless it is stopping.
const sinkTimeout = 5 * time.Second

// Errors.
var (
	ErrFile = errors.New("announce: bad announcement record")
	ErrNone = errors.New("announce: no announcement is up")
)

// Record is the announcement as stored: up while Text is set and Until
// is ahead; ID 0 when none was ever made.
type Record struct {
	Version int       `json:"version"`
	ID      uint32    `json:"id"`
	Text    string    `json:"text,omitempty"`
	Until   time.Time `json:"until,omitzero"`
}

// Up reports whether r is an announcement players should see at now.
func (r Record) Up(now time.Time) bool { return r.ID != 0 && r.Text != "" && now.Before(r.Until) }

// check validates a record read from a file or a store.
func (r Record) check() error {
	switch {
	case r.Version != fileVersion:
		return fmt.Errorf("%w: version %d, want %d", ErrFile, r.Version, fileVersion)
	case r.Text == "" && !r.Until.IsZero():
		return fmt.Errorf("%w: until without text", ErrFile)
	case r.Text != "" && r.Until.IsZero():
		return fmt.Errorf("%w: text without until", ErrFile)
	case r.Text != "":
		if err := (protocol.Announce{ID: r.ID, TTL: 1, Text: r.Text}).Check(); err != nil {
			return fmt.Errorf("%w: %w", ErrFile, err)
		}
	}
	return nil
}

// Sink shows announcements to players (server/hub.Hub): a withdrawal is
// a.ID with until zero.
type Sink interface {
	Announce(ctx context.Context, a protocol.Announce, until time.Time) error
}

// Store holds a cluster's shared record.
type Store interface {
	// Update applies edit to the newest stored record (the zero Record
	// if none) and writes the result, atomically with respect to every
	// other writer, and returns what it wrote. An error from edit is
	// returned as it is and nothing is written.
	Update(edit func(r *Record) error) (Record, error)
}

// Board is the announcement that is up, and its persistence.
type Board struct {
	path  string // the single process's file; "" with store
	store Store
	sink  Sink
	mu    sync.Mutex // serializes changes and Adopt
	cur   Record     // under mu: the newest record this node has
}

// Open loads dir's File (or starts with none) and hands the
// announcement in it to sink if it is still up.
func Open(dir string, sink Sink) (*Board, error) {
	b := &Board{path: filepath.Join(dir, File), sink: sink, cur: Record{Version: fileVersion}}
	raw, err := os.ReadFile(b.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return b, nil
	case err != nil:
		return nil, fmt.Errorf("announce: reading %s: %w", b.path, err)
	}
	r, err := Decode(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.path, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b, b.take(r)
}

// NewShared returns a board kept in s, starting from initial (the record
// s holds now; the zero Record for none), handed to sink if it is up.
func NewShared(s Store, initial Record, sink Sink) (*Board, error) {
	b := &Board{store: s, sink: sink, cur: Record{Version: fileVersion}}
	if initial.Version == 0 && initial.ID == 0 {
		return b, nil
	}
	if err := initial.check(); err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b, b.take(initial)
}

// Current returns the announcement up at now (ErrNone if none is).
func (b *Board) Current(now time.Time) (Record, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.cur.Up(now) {
		return Record{}, ErrNone
	}
	return b.cur, nil
}

// Post puts text up until until, replacing any other announcement, and
// returns its record once it is stored and handed to the sink.
func (b *Board) Post(text string, now, until time.Time) (Record, error) {
	if err := (protocol.Announce{ID: 1, TTL: 1, Text: text}).Check(); err != nil {
		return Record{}, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	r, err := b.update(func(r *Record) error {
		*r = Record{Version: fileVersion, ID: max(r.ID+1, uint32(now.Unix())), Text: text, Until: until.UTC().Truncate(time.Second)}
		return nil
	})
	if err != nil {
		return Record{}, err
	}
	return r, b.take(r)
}

// Withdraw takes the announcement up at now down and returns it (ErrNone
// if none is up).
func (b *Board) Withdraw(now time.Time) (Record, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var was Record
	r, err := b.update(func(r *Record) error {
		if !r.Up(now) {
			return ErrNone
		}
		was = *r
		*r = Record{Version: fileVersion, ID: r.ID}
		return nil
	})
	if err != nil {
		return Record{}, err
	}
	return was, b.take(r)
}

// Adopt makes r, a record the store holds (written by any node), the
// announcement here, unless this node already has it or a newer one.
func (b *Board) Adopt(r Record) error {
	if err := r.check(); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.take(r)
}

// update writes the record edit makes of the newest stored one: the
// store's, or (single process) the one this board has, to its file.
func (b *Board) update(edit func(r *Record) error) (Record, error) {
	if b.store != nil {
		return b.store.Update(func(r *Record) error {
			if r.Version == 0 {
				*r = Record{Version: fileVersion}
			}
			return edit(r)
		})
	}
	r := b.cur
	if err := edit(&r); err != nil {
		return Record{}, err
	}
	if err := writeFile(b.path, r); err != nil {
		return Record{}, err
	}
	return r, nil
}

// take makes r current, under mu, and hands it to the sink if it changes
// what players see: a newer id, or the withdrawal of the current one.
// An older record, the same one again, or an id that was withdrawn coming
// back up changes nothing.
func (b *Board) take(r Record) error {
	old := b.cur
	switch {
	case r.ID < old.ID, r == old:
		return nil
	case r.ID == old.ID && old.Text == "":
		return nil // withdrawn stays withdrawn
	}
	b.cur = r
	ctx, cancel := context.WithTimeout(context.Background(), sinkTimeout)
	defer cancel()
	now := time.Now()
	switch {
	case r.Up(now):
		return b.sink.Announce(ctx, protocol.Announce{ID: r.ID, Text: r.Text}, r.Until)
	case r.ID == old.ID && old.Up(now):
		return b.sink.Announce(ctx, protocol.Announce{ID: old.ID}, time.Time{})
	}
	return nil
}

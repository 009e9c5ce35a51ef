package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"checkgrid/protocol"
)

// ErrNotFresh means an import was aimed at a data directory that already
// holds something: import only makes new ones.
var ErrNotFresh = errors.New("store: not a fresh data directory")

// EpochStart says records after Seq belong to Epoch (a recovery that cut
// a torn tail started it with a keyframe at Seq).
type EpochStart struct{ Seq, Epoch uint64 }

// Importer builds a data directory from history read elsewhere (an export
// file): the keyframe it starts at, then every record with its own commit
// time, through the same Append and Checkpoint a server uses, so recovery
// and Verify read the result like any directory. It builds in a temp
// directory beside the target and renames it into place only at Finish:
// a failed import leaves nothing. Owned by one goroutine.
type Importer struct {
	s      *Store
	tmp    string
	dir    string
	epochs []EpochStart
	done   bool
}

// NewImport starts a data directory at dir (missing or empty) whose
// history starts with first, committed at unixNano, with the hash chain
// there (chained false: the history there predates the chain; the new
// directory's chain starts at first's own base). epochs are the epoch
// changes after first.Seq, in order.
func NewImport(dir string, first *State, unixNano int64, chain Chain, chained bool, epochs []EpochStart, opt Options) (*Importer, error) {
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("%w: %s holds %d entries", ErrNotFresh, dir, len(entries))
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("store: import: %w", err)
	}
	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("store: import: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, filepath.Base(dir)+".import-*")
	if err != nil {
		return nil, fmt.Errorf("store: import: %w", err)
	}
	im, err := startImport(tmp, first, unixNano, chain, chained, opt)
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	im.dir, im.epochs = dir, epochs
	return im, nil
}

func startImport(tmp string, first *State, unixNano int64, chain Chain, chained bool, opt Options) (*Importer, error) {
	if first.Epoch == 0 || unixNano < 0 {
		return nil, fmt.Errorf("%w: import from epoch %d, time %d", ErrInvalid, first.Epoch, unixNano)
	}
	if !chained {
		chain = ChainBase(first.Epoch, first.Seq, first.Toggles, &first.Grid)
	}
	opt.Sync = SyncInterval // fsynced at rotations, keyframes and Finish: nothing is live yet
	opt.SyncInterval = time.Hour
	opt.CheckpointEvery = 1<<63 - 1 // keyframes by bytes only: replay stays bounded
	opt = opt.withDefaults()
	lock, err := lockDir(tmp)
	if err != nil {
		return nil, err
	}
	if err := writeFileAtomic(tmp, checkpointName(first.Seq), encodeCheckpoint(nil, first, unixNano, chain)); err != nil {
		lock.Close()
		return nil, err
	}
	now := time.Now()
	s := &Store{dir: tmp, opt: opt, log: opt.Logger, lock: lock,
		epoch: first.Epoch, seq: first.Seq, toggles: first.Toggles,
		ckpts: []uint64{first.Seq}, ckptAt: now, lastSync: now,
		chain: chain, time: unixNano, ckptChain: chain, ckptTime: unixNano}
	s.publishHead()
	if err := s.createSegment(first.Seq + 1); err != nil {
		s.Close()
		return nil, err
	}
	return &Importer{s: s, tmp: tmp}, nil
}

// Add logs record seq (the next one) with its toggles, commit time (never
// below the previous record's) and Delta frame; grid is the grid after
// it. A keyframe follows where an epoch starts and after every
// Options.CheckpointBytes of Delta frames, as in a running server.
func (im *Importer) Add(seq, toggles uint64, unixNano int64, frame []byte, grid *protocol.Bitset) error {
	s := im.s
	if err := s.appendAt(seq, toggles, unixNano, frame); err != nil {
		return err
	}
	epoch := s.epoch
	for len(im.epochs) > 0 && im.epochs[0].Seq <= seq {
		if im.epochs[0].Seq < seq {
			return fmt.Errorf("%w: epoch %d starts at seq %d, which is not a record of this import", ErrInvalid, im.epochs[0].Epoch, im.epochs[0].Seq)
		}
		epoch = im.epochs[0].Epoch
		im.epochs = im.epochs[1:]
	}
	if epoch == s.epoch && s.ckptPending < s.opt.CheckpointBytes {
		return nil
	}
	// The keyframe of a new epoch holds the chain at seq (stepped with the
	// old epoch); records after it step with the new one.
	s.epoch = epoch
	return s.Checkpoint(&State{Epoch: epoch, Seq: seq, Toggles: toggles, Grid: *grid})
}

// Finish writes a keyframe at the last record (grid is the grid there),
// closes the directory and renames it into place.
func (im *Importer) Finish(grid *protocol.Bitset) error {
	s := im.s
	if len(im.epochs) > 0 {
		return fmt.Errorf("%w: epoch %d starts at seq %d, after the last record %d", ErrInvalid, im.epochs[0].Epoch, im.epochs[0].Seq, s.seq)
	}
	err := s.Checkpoint(&State{Epoch: s.epoch, Seq: s.seq, Toggles: s.toggles, Grid: *grid})
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Remove(filepath.Join(im.tmp, lockName))
	}
	if err == nil {
		err = os.Rename(im.tmp, im.dir) // dir is missing or empty
	}
	if err == nil {
		err = syncDir(filepath.Dir(filepath.Clean(im.dir)))
	}
	if err != nil {
		im.Abort()
		return fmt.Errorf("store: import: %w", err)
	}
	im.done = true
	return nil
}

// Abort removes what was built; after Finish it does nothing.
func (im *Importer) Abort() {
	if im.done {
		return
	}
	im.done = true
	if !im.s.closed {
		_ = im.s.Close()
	}
	_ = os.RemoveAll(im.tmp)
}

package store

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"checkgrid/protocol"
)

// State is the grid as of Seq.
type State struct {
	Epoch   uint64 // random non-zero, made when the directory is first initialised; changes when recovery cuts anything (doc.go)
	Seq     uint64 // seq of the last Delta applied (0 = none)
	Toggles uint64 // total toggles ever applied, as of Seq
	Grid    protocol.Bitset
}

// Store is an open data directory: a write-ahead log of Delta frames plus
// checkpoints. A Store is owned by one goroutine (the Sequencer's,
// server/pipeline); no method is safe for concurrent use.
type Store struct {
	dir   string
	opt   Options
	log   *slog.Logger
	hooks openHooks
	lock  *os.File

	seg      segmentFile // the last segment, appended to
	segs     []uint64    // first seqs of the segments on disk, ascending
	segSize  int64       // bytes of valid records in seg; a failed Append never moves it
	dirty    bool        // bytes past segSize may exist (a failed Append could not cut them)
	unsynced bool        // records written since the last fsync (SyncInterval mode)
	lastSync time.Time

	// The log keeps no grid: the hub owns the grid at seq and hands it to
	// Checkpoint. These say only where the log is.
	epoch, seq, toggles uint64

	ckpts       []uint64 // seqs of checkpoint files kept, ascending
	ckptAt      time.Time
	ckptPending int64 // log bytes since the last checkpoint

	// History: the chain and commit time at seq, and the last
	// checkpoint's, so a checkpoint of an older seq can find its own.
	chain     Chain
	time      int64 // unix ns of record seq; times never decrease
	ckptChain Chain
	ckptTime  int64
	ch        chainer
	sizes     map[string]int64 // bytes of closed files, for HistoryMaxBytes; nil until needed
	keyTimes  map[uint64]int64 // keyframe times, for HistoryMaxAge
	dropped   Dropped
	head      atomic.Pointer[Head]

	buf    []byte
	enc    recordEncoder
	closed bool
}

// Open locks dir (creating it if missing) and recovers the state: the newest
// valid checkpoint plus every log record after it. A fresh directory yields
// a new random Epoch, Seq 0 and an empty grid. A second Open of the same
// directory, from any process, fails with ErrLocked until Close. Corruption
// fails with an error wrapping ErrCorrupt that names the file and offset.
// The returned State is the caller's.
func Open(dir string, opt Options) (*Store, *State, error) {
	var hooks openHooks
	if d := opt.SlowSync; d > 0 {
		hooks.wrapSegment = func(f segmentFile) segmentFile { return slowSync{f, d} }
	}
	return open(dir, opt, hooks)
}

func open(dir string, opt Options, hooks openHooks) (*Store, *State, error) {
	opt = opt.withDefaults()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("store: create data directory: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, nil, err
	}
	s, st, err := openLocked(dir, opt, hooks, lock)
	if err != nil {
		lock.Close() // releases the flock
		return nil, nil, err
	}
	return s, st, nil
}

func openLocked(dir string, opt Options, hooks openHooks, lock *os.File) (*Store, *State, error) {
	start := time.Now()
	st, rec, err := recoverDir(dir, opt.Logger)
	if err != nil {
		return nil, nil, err
	}
	s := &Store{
		dir: dir, opt: opt, log: opt.Logger, hooks: hooks, lock: lock,
		segs: rec.segments, segSize: rec.tailSize,
		epoch: st.Epoch, seq: st.Seq, toggles: st.Toggles,
		ckpts: rec.ckpts, ckptAt: start, lastSync: start,
		chain: rec.chain, time: rec.time, ckptChain: rec.chain, ckptTime: rec.time,
	}
	s.publishHead()
	switch {
	case len(s.segs) == 0:
		if err := s.createSegment(st.Seq + 1); err != nil {
			return nil, nil, err
		}
	case rec.tailSize == 0:
		// An empty last segment (a rotation, or its header write, cut by a
		// crash; or recovery cut all its records): give it its header.
		if err := s.createSegment(s.segs[len(s.segs)-1]); err != nil {
			return nil, nil, err
		}
	case rec.tailVersion != segmentVersion:
		// A directory written by an older build (version 1: before history
		// was kept; version 2: fixed record headers): new records go to a
		// new, version-3, segment (or an old one that holds none yet is
		// given a version-3 header).
		if err := s.createSegment(st.Seq + 1); err != nil {
			return nil, nil, err
		}
	default:
		path := filepath.Join(dir, segmentName(s.segs[len(s.segs)-1]))
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			return nil, nil, fmt.Errorf("store: open segment for append: %w", err)
		}
		s.seg = hooks.wrap(f)
	}
	s.log.Info("store: recovered", "dir", dir, "epoch", st.Epoch, "seq", st.Seq, "toggles", st.Toggles,
		"checkpoint", s.ckpts[len(s.ckpts)-1], "segments", len(s.segs), "took", time.Since(start))
	return s, st, nil
}

// Append durably logs deltaFrame (as made by protocol.AppendDelta; its seq
// must equal seq) as record seq, which must be exactly the last seq + 1,
// with toggles the total after it (never decreasing). In SyncEveryAppend
// mode it returns after fsync. On a write or fsync error it returns a
// wrapped error and the log is as before the call; Append may then be
// retried with the same seq. Nothing is kept of deltaFrame.
func (s *Store) Append(seq, toggles uint64, deltaFrame []byte) error {
	// Commit times never decrease, so history can be searched by time
	// even if the wall clock steps back.
	return s.appendAt(seq, toggles, max(time.Now().UnixNano(), s.time), deltaFrame)
}

// appendAt is Append with the commit time given (≥ the last record's).
func (s *Store) appendAt(seq, toggles uint64, now int64, deltaFrame []byte) error {
	if s.closed {
		return ErrClosed
	}
	if seq != s.seq+1 {
		return fmt.Errorf("%w: append seq %d, want %d", ErrSeq, seq, s.seq+1)
	}
	if toggles < s.toggles {
		return fmt.Errorf("%w: toggles %d below %d", ErrInvalid, toggles, s.toggles)
	}
	// The header must name seq: a record recovery would reject must never
	// reach the disk, where it would stop every later restart. The payload
	// is the encoder's (the hub's), which the log does not second-guess.
	d, err := protocol.DecodeDelta(deltaFrame)
	if err == nil && d.Seq != seq {
		err = fmt.Errorf("frame has seq %d", d.Seq)
	}
	if err != nil {
		return fmt.Errorf("%w: delta frame for seq %d: %w", ErrInvalid, seq, err)
	}
	if len(deltaFrame) > maxRecordFrame {
		return fmt.Errorf("%w: delta frame of %d bytes, at most %d", ErrInvalid, len(deltaFrame), maxRecordFrame)
	}
	if s.dirty {
		if err := s.seg.Truncate(s.segSize); err != nil {
			return fmt.Errorf("store: cut failed append in %s at offset %d: %w", s.segName(), s.segSize, err)
		}
		s.dirty = false
	}
	if s.segSize >= s.opt.SegmentBytes {
		if err := s.rotate(seq); err != nil {
			return err
		}
	}
	if now < s.time {
		return fmt.Errorf("%w: record seq %d committed at %d, before the previous record (%d)", ErrInvalid, seq, now, s.time)
	}
	s.buf = s.enc.appendRecord(s.buf[:0], prevRecord{seq: s.seq, toggles: s.toggles, time: s.time}, toggles, now, deltaFrame)
	if _, err := s.seg.WriteAt(s.buf, s.segSize); err != nil {
		return s.undo(fmt.Errorf("store: append seq %d to %s at offset %d: %w", seq, s.segName(), s.segSize, err))
	}
	s.unsynced = true
	if s.opt.Sync == SyncEveryAppend || time.Since(s.lastSync) >= s.opt.SyncInterval {
		if err := s.sync(); err != nil {
			return s.undo(fmt.Errorf("store: append seq %d to %s at offset %d: %w", seq, s.segName(), s.segSize, err))
		}
	}
	s.segSize += int64(len(s.buf))
	s.ckptPending += int64(len(deltaFrame))
	s.chain = s.ch.next(s.chain, s.epoch, seq, now, toggles, deltaFrame)
	s.seq, s.toggles, s.time = seq, toggles, now
	s.publishHead()
	return nil
}

// undo cuts the segment back to its last valid record after a failed
// Append, so a retry writes the same seq at the same offset. If even the
// cut fails, the next Append cuts first.
func (s *Store) undo(err error) error {
	if terr := s.seg.Truncate(s.segSize); terr != nil {
		s.dirty = true
		return errors.Join(err, fmt.Errorf("store: cut back %s to offset %d: %w", s.segName(), s.segSize, terr))
	}
	return err
}

// sync fsyncs the current segment.
func (s *Store) sync() error {
	start := time.Now()
	if err := s.seg.Sync(); err != nil {
		return fmt.Errorf("fsync: %w", err)
	}
	s.lastSync = time.Now()
	s.unsynced = false
	if s.opt.ObserveFsync != nil {
		s.opt.ObserveFsync(s.lastSync.Sub(start))
	}
	return nil
}

// Sync fsyncs records written but not yet synced (SyncInterval mode); in
// SyncEveryAppend mode there are none. A server in SyncInterval mode may
// call it on idle ticks so that the last records do not wait for the next
// Append.
func (s *Store) Sync() error {
	if s.closed {
		return ErrClosed
	}
	if !s.unsynced {
		return nil
	}
	if err := s.sync(); err != nil {
		return fmt.Errorf("store: %s: %w", s.segName(), err)
	}
	return nil
}

// rotate starts segment first. The new file is created and made durable
// before the old one is let go, so a failure leaves appends going to the old
// segment's successor only after it exists.
func (s *Store) rotate(first uint64) error {
	if s.unsynced {
		if err := s.sync(); err != nil {
			return fmt.Errorf("store: rotate: %s: %w", s.segName(), err)
		}
	}
	old := s.seg
	if err := s.createSegment(first); err != nil {
		return err
	}
	if err := old.Close(); err != nil {
		s.log.Warn("store: close rotated segment", "error", err) // it is fsynced; nothing is lost
	}
	return nil
}

// createSegment creates (or adopts an empty leftover of a failed rotation)
// the segment starting at first and makes it current.
func (s *Store) createSegment(first uint64) error {
	name := segmentName(first)
	path := filepath.Join(s.dir, name)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("store: create segment %s: %w", name, err)
	}
	// The header is written and made durable, with the directory entry,
	// before any record goes in. The leftover of a failed rotation, or an
	// old-format segment that holds no record yet, holds at most a
	// header: it is given this one (it names the record before first, the
	// last appended).
	hdr := appendSegmentHeader(nil, prevRecord{seq: s.seq, toggles: s.toggles, time: s.time})
	fi, err := f.Stat()
	if err == nil {
		b := make([]byte, min(fi.Size(), segmentHeaderSize+1))
		switch {
		case fi.Size() == 0:
		case fi.Size() > segmentHeaderSize:
			err = fmt.Errorf("%w: new segment %s already holds %d bytes", ErrCorrupt, name, fi.Size())
		default:
			if _, err = f.ReadAt(b, 0); err == nil && (!crcHolds(b, fi.Size()) || string(b[:min(len(b), 8)]) != segmentMagic) {
				err = fmt.Errorf("%w: new segment %s holds %d bytes that are not a segment header", ErrCorrupt, name, fi.Size())
			}
		}
		if err == nil && string(b) != string(hdr) {
			if err = f.Truncate(0); err == nil {
				if _, err = f.WriteAt(hdr, 0); err == nil {
					err = f.Sync()
				}
			}
		}
	}
	if err == nil {
		err = syncDir(s.dir)
	}
	if err != nil {
		f.Close()
		return fmt.Errorf("store: create segment %s: %w", name, err)
	}
	if len(s.segs) > 0 && s.segs[len(s.segs)-1] != first && s.sizes != nil {
		s.sizes[s.segName()] = s.segSize
	}
	s.seg = s.hooks.wrap(f)
	if len(s.segs) == 0 || s.segs[len(s.segs)-1] != first {
		s.segs = append(s.segs, first)
	}
	s.segSize = int64(len(hdr))
	return nil
}

func (s *Store) segName() string { return segmentName(s.segs[len(s.segs)-1]) }

// WantCheckpoint reports whether a checkpoint is due: something was
// appended since the last one, and Options.CheckpointEvery has passed or
// Options.CheckpointBytes of log were written.
func (s *Store) WantCheckpoint() bool {
	if s.closed || s.seq == s.ckpts[len(s.ckpts)-1] {
		return false
	}
	return s.ckptPending >= s.opt.CheckpointBytes || time.Since(s.ckptAt) >= s.opt.CheckpointEvery
}

// Checkpoint writes st, the grid as of st.Seq, as a checkpoint file (temp
// file, fsync, rename, fsync the directory). Every checkpoint is kept as a
// keyframe of history, with the commit time and hash chain at st.Seq;
// history is dropped only past Options.HistoryMaxBytes or HistoryMaxAge.
// st.Seq must lie between the last checkpoint's seq and the last appended
// seq, and st.Grid must be the grid at st.Seq: the log keeps no grid of its
// own to check it against (its owner, the hub, does). st is not kept. On
// error nothing on disk changed that recovery depends on, and it may be
// retried.
func (s *Store) Checkpoint(st *State) error {
	if s.closed {
		return ErrClosed
	}
	last := s.ckpts[len(s.ckpts)-1]
	switch {
	case st.Epoch != s.epoch:
		return fmt.Errorf("%w: checkpoint of epoch %d, store has %d", ErrInvalid, st.Epoch, s.epoch)
	case st.Seq > s.seq || st.Seq < last:
		return fmt.Errorf("%w: checkpoint at seq %d outside %d..%d", ErrInvalid, st.Seq, last, s.seq)
	case st.Seq == s.seq && st.Toggles != s.toggles:
		return fmt.Errorf("%w: checkpoint at seq %d has toggles %d, the log %d", ErrInvalid, st.Seq, st.Toggles, s.toggles)
	case st.Seq == last:
		return nil // already on disk
	}
	// The log must hold st.Seq durably before a checkpoint says it exists.
	if s.unsynced {
		if err := s.sync(); err != nil {
			return fmt.Errorf("store: checkpoint: %s: %w", s.segName(), err)
		}
	}
	chain, at := s.chain, s.time
	if st.Seq != s.seq {
		var err error
		if chain, at, err = s.chainAt(last, st.Seq); err != nil {
			return err
		}
	}
	if err := writeFileAtomic(s.dir, checkpointName(st.Seq), encodeCheckpoint(s.buf[:0], st, at, chain)); err != nil {
		return err
	}
	s.ckpts = append(s.ckpts, st.Seq)
	s.ckptAt = time.Now()
	s.ckptPending = 0
	s.ckptChain, s.ckptTime = chain, at
	if s.keyTimes != nil {
		s.keyTimes[st.Seq] = at
	}
	s.prune()
	s.publishHead()
	return nil
}

// chainAt walks the log from the checkpoint at from (whose chain and time
// the store holds) to seq, for a checkpoint of a seq before the log's end.
func (s *Store) chainAt(from, seq uint64) (Chain, int64, error) {
	c, at := s.ckptChain, s.ckptTime
	err := readLog(s.dir, from, func(r record) error {
		c = s.ch.next(c, s.epoch, r.seq, r.time, r.toggles, r.deltaFrame())
		at = r.time
		if r.seq == seq {
			return errStop
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return Chain{}, 0, fmt.Errorf("store: checkpoint at seq %d: reading the log for its chain: %w", seq, err)
	}
	return c, at, nil
}

// Close fsyncs the log and releases the lock. It does not checkpoint: a
// graceful shutdown calls Checkpoint with the current state first.
func (s *Store) Close() error {
	if s.closed {
		return ErrClosed
	}
	s.closed = true
	var err error
	if s.unsynced {
		if serr := s.sync(); serr != nil {
			err = fmt.Errorf("store: close: %s: %w", s.segName(), serr)
		}
	}
	if cerr := s.seg.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("store: close %s: %w", s.segName(), cerr)
	}
	if cerr := s.lock.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("store: release lock: %w", cerr)
	}
	return err
}

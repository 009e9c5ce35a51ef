package store

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"checkgrid/protocol"
)

// recovered is what recovery learned about the directory besides the state.
type recovered struct {
	segments    []uint64 // first seqs of the segments kept, ascending; the last is appended to
	tailSize    int64    // valid bytes in the last segment (after any torn tail was cut)
	tailVersion int      // the last segment's format version (1: append to a new segment)
	ckpts       []uint64 // seqs of the checkpoints kept, ascending; the last is st's
	cut         string   // why recovery dropped something (a torn tail, a bad checkpoint); "" if nothing
	chain       Chain    // the hash chain at st.Seq
	time        int64    // commit time of record st.Seq (unix ns; 0 if unknown)
	// migrated: the newest checkpoint had no chain (version 1), so the
	// chain starts at st.Seq, recorded in a new keyframe there.
	migrated bool
}

// recoverDir rebuilds the state from dir, creating a fresh one if dir holds
// neither checkpoints nor segments. It repairs only what doc.go calls torn:
// the tail of the last segment is truncated; nothing else is written except
// a fresh directory's first checkpoint and segment, and quarantining a bad
// newest checkpoint when an older one takes over.
func recoverDir(dir string, log *slog.Logger) (*State, recovered, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, recovered{}, fmt.Errorf("store: read data directory: %w", err)
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if strings.HasPrefix(n, checkpointPrefix) && strings.HasSuffix(n, tmpSuffix) {
			// A checkpoint that was never renamed into place: not data.
			if err := os.Remove(filepath.Join(dir, n)); err != nil {
				return nil, recovered{}, fmt.Errorf("store: remove stale %s: %w", n, err)
			}
			continue
		}
		names = append(names, n)
	}
	segs := listSeqFiles(names, segmentPrefix, segmentSuffix)
	ckpts := listSeqFiles(names, checkpointPrefix, checkpointSuffix)
	if len(ckpts) == 0 {
		if len(segs) > 0 {
			return nil, recovered{}, corrupt(segmentName(segs[0]), 0, "log segments but no checkpoint in %s", dir)
		}
		return initDir(dir, log)
	}

	// Newest valid checkpoint first; an older one only if the newest is bad
	// and the log still reaches back to it.
	var firstErr error
	for i := len(ckpts) - 1; i >= 0; i-- {
		kf := new(keyframe)
		st := &kf.State
		name := checkpointName(ckpts[i])
		err := readCheckpoint(filepath.Join(dir, name), kf)
		if errors.Is(err, ErrVersion) {
			return nil, recovered{}, err // a newer build's data: never fall back past it
		}
		if err == nil {
			var rec recovered
			rec, err = replay(dir, segs, kf, log)
			if err == nil {
				if firstErr != nil {
					if qerr := quarantine(dir, ckpts[i+1:], log); qerr != nil {
						return nil, recovered{}, qerr
					}
					log.Error("store: recovered from an OLDER checkpoint because newer ones are bad", "checkpoint", name, "error", firstErr)
					rec.cut = "bad checkpoint"
				}
				rec.ckpts = ckpts[:i+1]
				if rec.cut != "" || rec.migrated {
					if err := newKeyframeAfterRecovery(dir, st, &rec, log); err != nil {
						return nil, recovered{}, err
					}
				}
				return st, rec, nil
			}
			if firstErr == nil || !errors.Is(err, errLogGap) {
				return nil, recovered{}, err
			}
		}
		if firstErr == nil {
			firstErr = err
		}
		log.Error("store: checkpoint unusable", "checkpoint", name, "error", err)
	}
	return nil, recovered{}, firstErr
}

// replay applies every log record after kf's seq to its state, checking
// the whole chain of seqs from the first segment it reads, and carries the
// hash chain from the keyframe's value (if it has one) to the end.
func replay(dir string, segs []uint64, kf *keyframe, log *slog.Logger) (recovered, error) {
	st := &kf.State
	var ch chainer
	rec := recovered{chain: kf.chain, time: kf.time, migrated: !kf.chainKnown}
	ckptName := checkpointName(st.Seq)
	// Start at the last segment that begins at or before st.Seq+1; earlier
	// ones are wholly covered by the checkpoint (left over from a crash
	// between checkpoint and pruning).
	start := -1
	for i, first := range segs {
		if first <= st.Seq+1 {
			start = i
		}
	}
	if len(segs) == 0 {
		if st.Seq != 0 {
			// The segment holding st.Seq+1 onwards is never pruned.
			return recovered{}, fmt.Errorf("%w: %w", corrupt(ckptName, 0, "no log segments after a checkpoint at seq %d", st.Seq), errLogGap)
		}
		rec.tailVersion = segmentVersion
		return rec, nil // crash between a fresh directory's checkpoint and its first segment
	}
	if start < 0 {
		return recovered{}, fmt.Errorf("%w: %w", corrupt(segmentName(segs[0]), 0, "first segment starts at seq %d, after %s", segs[0], ckptName), errLogGap)
	}
	rep := new(protocol.Replica) // the grid the log describes, from the checkpoint on
	rep.Reset(st.Epoch, st.Seq, &st.Grid)
	expect := segs[start] // seq the next record must have
	for i := start; i < len(segs); i++ {
		name := segmentName(segs[i])
		if segs[i] != expect {
			return recovered{}, corrupt(name, 0, "segment starts at seq %d, previous segment ended at seq %d", segs[i], expect-1)
		}
		final := i == len(segs)-1
		res, err := scanSegment(filepath.Join(dir, name), final, st.Seq+1, func(off int64, r record) error {
			if r.seq != expect {
				return corrupt(name, off, "record seq %d, want %d", r.seq, expect)
			}
			expect++
			if r.seq <= rep.Seq {
				// Covered by the checkpoint: only its header is checked
				// (a version-3 record's checksums were, by the scan).
				if r.skipped() {
					return nil
				}
				d, err := protocol.DecodeDelta(r.frame)
				if err == nil && d.Seq != r.seq {
					err = fmt.Errorf("frame seq %d", d.Seq)
				}
				if err != nil {
					return corrupt(name, off, "record seq %d: delta: %v", r.seq, err)
				}
				return nil
			}
			if r.toggles < st.Toggles {
				return corrupt(name, off, "record seq %d: toggles %d below %d", r.seq, r.toggles, st.Toggles)
			}
			frame := r.deltaFrame()
			if _, err := rep.Apply(frame); err != nil {
				return corrupt(name, off, "record seq %d: delta: %v", r.seq, err)
			}
			if r.time != 0 && r.time < rec.time {
				return corrupt(name, off, "record seq %d: time %d before the previous record's %d", r.seq, r.time, rec.time)
			}
			st.Toggles = r.toggles
			rec.time = r.time
			rec.chain = ch.next(rec.chain, st.Epoch, r.seq, r.time, r.toggles, frame)
			return nil
		})
		if err != nil {
			return recovered{}, err
		}
		if res.torn != "" {
			if err := truncateTail(filepath.Join(dir, name), res.end); err != nil {
				return recovered{}, err
			}
			log.Warn("store: cut torn tail of the log (crash mid-write; never acknowledged in every-append mode)",
				"file", name, "offset", res.end, "bytes", res.size-res.end, "why", res.torn)
			if !res.headerCut {
				rec.cut = "torn tail"
			}
		}
		rec.tailSize, rec.tailVersion = res.end, res.version
	}
	st.Grid, st.Seq = rep.Grid, rep.Seq
	if expect-1 < st.Seq {
		return recovered{}, fmt.Errorf("%w: %w", corrupt(segmentName(segs[len(segs)-1]), rec.tailSize, "log ends at seq %d, before %s", expect-1, ckptName), errLogGap)
	}
	// Segments before start stay listed: they back the previous checkpoint,
	// and the next Checkpoint prunes what no kept checkpoint needs.
	rec.segments = segs
	return rec, nil
}

func truncateTail(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("store: open to cut torn tail: %w", err)
	}
	err = f.Truncate(size)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("store: cut torn tail of %s at offset %d: %w", filepath.Base(path), size, err)
	}
	return nil
}

// quarantine renames bad checkpoints out of the way, keeping their bytes
// for an operator, so pruning never treats them as a base again.
func quarantine(dir string, seqs []uint64, log *slog.Logger) error {
	for _, s := range seqs {
		n := checkpointName(s)
		if err := os.Rename(filepath.Join(dir, n), filepath.Join(dir, n+".bad")); err != nil {
			return fmt.Errorf("store: quarantine %s: %w", n, err)
		}
		log.Error("store: quarantined bad checkpoint", "file", n, "renamed", n+".bad")
	}
	return syncDir(dir)
}

// newKeyframeAfterRecovery records st in a new keyframe at st.Seq when
// recovery dropped something or the newest checkpoint had no chain.
//
// After a cut it gives st a new epoch: a torn record may have been seen by
// clients (SyncInterval mode, or a power loss), and the seq it had will be
// reused for other content. Under the old epoch a client holding the
// dropped record would take the new one for the same seq and silently
// diverge; under a new epoch every client resyncs from a snapshot. The
// epoch change is part of history: the keyframe carries the chain at
// st.Seq, and records after it hash the new epoch.
//
// A version-1 newest checkpoint (a directory written before history was
// kept) has no chain value: the chain starts here, at the base of st.
//
// The log is fsynced first, so it reaches the new keyframe's seq.
func newKeyframeAfterRecovery(dir string, st *State, rec *recovered, log *slog.Logger) error {
	if len(rec.segments) > 0 {
		if err := syncFile(filepath.Join(dir, segmentName(rec.segments[len(rec.segments)-1]))); err != nil {
			return err
		}
	}
	old := st.Epoch
	if rec.cut != "" {
		st.Epoch = newEpoch()
	}
	if rec.migrated {
		rec.chain = ChainBase(st.Epoch, st.Seq, st.Toggles, &st.Grid)
	}
	if err := writeFileAtomic(dir, checkpointName(st.Seq), encodeCheckpoint(nil, st, rec.time, rec.chain)); err != nil {
		return fmt.Errorf("store: recording a keyframe after recovery (cut: %q, chain started: %v): %w", rec.cut, rec.migrated, err)
	}
	if rec.ckpts[len(rec.ckpts)-1] != st.Seq {
		rec.ckpts = append(rec.ckpts, st.Seq)
	}
	if rec.migrated {
		log.Info("store: history's hash chain starts here (the directory's newest checkpoint predates it)", "epoch", st.Epoch, "seq", st.Seq)
	}
	if rec.cut != "" {
		log.Warn("store: new epoch, so every client resyncs: recovery cut a "+rec.cut, "old_epoch", old, "epoch", st.Epoch, "seq", st.Seq)
	}
	return nil
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("store: open to fsync: %w", err)
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("store: fsync %s: %w", filepath.Base(path), err)
	}
	return nil
}

// initDir makes a fresh directory: a new epoch, recorded in checkpoint 0.
func initDir(dir string, log *slog.Logger) (*State, recovered, error) {
	st := &State{Epoch: newEpoch()}
	c := ChainBase(st.Epoch, 0, 0, &st.Grid)
	if err := writeFileAtomic(dir, checkpointName(0), encodeCheckpoint(nil, st, 0, c)); err != nil {
		return nil, recovered{}, err
	}
	log.Info("store: initialised a fresh data directory", "dir", dir, "epoch", st.Epoch)
	return st, recovered{ckpts: []uint64{0}, chain: c, tailVersion: segmentVersion}, nil
}

func newEpoch() uint64 {
	var b [8]byte
	for {
		rand.Read(b[:]) // never fails (crypto/rand contract since Go 1.24)
		if e := binary.LittleEndian.Uint64(b[:]); e != 0 {
			return e
		}
	}
}

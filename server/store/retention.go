package store

import (
	"errors"
	"os"
	"path/filepath"
	"time"
)

// Dropped says what history the store has dropped since it opened, to keep
// within Options.HistoryMaxBytes and HistoryMaxAge. History before the
// first kept keyframe is gone either way (Head.First says where it starts).
type Dropped struct {
	Segments  int    // log segments removed
	Keyframes int    // keyframes removed
	Bytes     int64  // their bytes
	Reason    string // "history-max-bytes" or "history-max-age" of the last drop; "" if none
}

// prune drops the oldest keyframe, and the log segments only it needed,
// while the history is over a bound; with no bound set it keeps everything.
// The newest two keyframes and the log from the older one always stay, so
// recovery can fall back to it if the newest goes bad. Failures only leave
// extra files, which recovery skips; they are logged, not returned.
func (s *Store) prune() {
	if s.opt.HistoryMaxBytes <= 0 && s.opt.HistoryMaxAge <= 0 {
		return
	}
	for len(s.ckpts) > 2 {
		reason := s.overBound()
		if reason == "" {
			return
		}
		name := checkpointName(s.ckpts[0])
		size := s.sizeOf(name)
		if err := os.Remove(filepath.Join(s.dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.log.Warn("store: drop old keyframe", "file", name, "error", err)
			return
		}
		delete(s.sizes, name)
		delete(s.keyTimes, s.ckpts[0])
		s.ckpts = s.ckpts[1:]
		s.dropped.Keyframes++
		s.dropped.Bytes += size
		s.dropped.Reason = reason
		base := s.ckpts[0]
		for len(s.segs) > 1 && s.segs[1] <= base+1 {
			name := segmentName(s.segs[0])
			size := s.sizeOf(name)
			if err := os.Remove(filepath.Join(s.dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
				s.log.Warn("store: drop old segment", "file", name, "error", err)
				return
			}
			delete(s.sizes, name)
			s.segs = s.segs[1:]
			s.dropped.Segments++
			s.dropped.Bytes += size
		}
		s.log.Info("store: dropped history", "before_seq", base, "why", reason,
			"keyframes", s.dropped.Keyframes, "segments", s.dropped.Segments, "bytes", s.dropped.Bytes)
	}
}

// overBound names the bound the kept history exceeds, "" if none: its
// bytes, or the age of the second-oldest keyframe (everything before it
// is older still). A keyframe of unknown time (version 1) counts as old.
func (s *Store) overBound() string {
	if max := s.opt.HistoryMaxBytes; max > 0 {
		var total int64
		for _, c := range s.ckpts {
			total += s.sizeOf(checkpointName(c))
		}
		for _, g := range s.segs {
			total += s.sizeOf(segmentName(g))
		}
		if total > max {
			return "history-max-bytes"
		}
	}
	if age := s.opt.HistoryMaxAge; age > 0 {
		if s.keyTimes == nil {
			s.keyTimes = make(map[uint64]int64)
		}
		seq := s.ckpts[1]
		at, ok := s.keyTimes[seq]
		if !ok {
			var kf keyframe
			if err := readCheckpoint(filepath.Join(s.dir, checkpointName(seq)), &kf); err != nil {
				s.log.Warn("store: reading a keyframe's time", "seq", seq, "error", err)
				return ""
			}
			at = kf.time
			s.keyTimes[seq] = at
		}
		if time.Since(time.Unix(0, at)) > age {
			return "history-max-age"
		}
	}
	return ""
}

// sizeOf returns a kept file's size: the current segment's is known, a
// closed file's is looked up once (they never change).
func (s *Store) sizeOf(name string) int64 {
	if name == s.segName() {
		return s.segSize
	}
	if s.sizes == nil {
		s.sizes = make(map[string]int64)
	}
	if n, ok := s.sizes[name]; ok {
		return n
	}
	fi, err := os.Stat(filepath.Join(s.dir, name))
	if err != nil {
		return 0
	}
	s.sizes[name] = fi.Size()
	return fi.Size()
}

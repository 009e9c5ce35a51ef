package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ReadLog calls visit, in order, for every log record in dir with seq >
// after, with the record's toggles and Delta frame (valid only during the
// call). It neither locks nor changes dir, so tools and tests may read the
// log of a running server; records appended meanwhile may or may not be
// seen. It applies Open's checks and errors, except that it stops quietly
// at a torn tail instead of cutting it. It fails if the log does not reach
// back to after+1.
func ReadLog(dir string, after uint64, visit func(seq, toggles uint64, frame []byte) error) error {
	return readLog(dir, after, func(r record) error { return visit(r.seq, r.toggles, r.deltaFrame()) })
}

// errStop ends a walk of the log early; the walker's caller treats it as
// success.
var errStop = errors.New("stop")

// readLog is ReadLog with every field of the record.
func readLog(dir string, after uint64, visit func(r record) error) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("store: read data directory: %w", err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	segs := listSeqFiles(names, segmentPrefix, segmentSuffix)
	start := -1
	for i, first := range segs {
		if first <= after+1 {
			start = i
		}
	}
	if start < 0 {
		return fmt.Errorf("%w: log in %s does not reach back to seq %d", errLogGap, dir, after+1)
	}
	expect := segs[start]
	for i := start; i < len(segs); i++ {
		name := segmentName(segs[i])
		if segs[i] != expect {
			return corrupt(name, 0, "segment starts at seq %d, previous segment ended at seq %d", segs[i], expect-1)
		}
		res, err := scanSegment(filepath.Join(dir, name), i == len(segs)-1, after+1, func(off int64, r record) error {
			if r.seq != expect {
				return corrupt(name, off, "record seq %d, want %d", r.seq, expect)
			}
			expect++
			if r.seq <= after {
				return nil
			}
			return visit(r)
		})
		if err != nil {
			return err
		}
		if res.torn != "" {
			return nil
		}
	}
	return nil
}

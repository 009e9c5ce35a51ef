package store

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error the store returns wraps exactly one of these
// (test with errors.Is) plus the file and offset concerned.
var (
	// ErrLocked means another process (or another Store in this one) holds
	// the directory's lock file.
	ErrLocked = errors.New("store: data directory is locked by another server")
	// ErrCorrupt means bytes on disk fail a check that a crash cannot explain:
	// a bad checksum or seq gap in the middle of the log, or a bad
	// checkpoint with no usable fallback. Errors wrapping it are
	// *CorruptError, which names the file and offset.
	ErrCorrupt = errors.New("store: corrupt data")
	// ErrVersion means a checkpoint was written by an unknown format version.
	ErrVersion = errors.New("store: unsupported on-disk format version")
	// ErrSeq means Append was given a seq other than the last seq + 1.
	ErrSeq = errors.New("store: non-consecutive seq")
	// ErrInvalid means an argument cannot be stored: a malformed Delta frame,
	// a frame whose seq disagrees, decreasing toggles, or a checkpoint state
	// that does not fit the log.
	ErrInvalid = errors.New("store: invalid argument")
	// ErrClosed means the Store was used after Close.
	ErrClosed = errors.New("store: closed")
)

// errLogGap marks a log that does not reach back to a checkpoint: fatal for
// the newest checkpoint, the end of falling back for an older one.
var errLogGap = errors.New("log does not reach back to the checkpoint")

// CorruptError locates data that failed a check. It wraps ErrCorrupt.
type CorruptError struct {
	File   string // base name inside the data directory
	Offset int64  // byte offset of the record or field that failed
	Reason string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("%v: %s at offset %d: %s", ErrCorrupt, e.File, e.Offset, e.Reason)
}

// Unwrap makes errors.Is(err, ErrCorrupt) hold.
func (e *CorruptError) Unwrap() error { return ErrCorrupt }

func corrupt(file string, off int64, format string, args ...any) error {
	return &CorruptError{File: file, Offset: off, Reason: fmt.Sprintf(format, args...)}
}

package store

import (
	"os"
	"time"
)

// segmentFile is what the Store does to the log segment it appends to. It
// is an interface only so a test can inject write and fsync failures where
// it cannot mount a real small filesystem; production uses *os.File.
type segmentFile interface {
	WriteAt(b []byte, off int64) (int, error)
	Truncate(size int64) error
	Sync() error
	Close() error
}

// openHooks are test-only seams into Open.
type openHooks struct {
	wrapSegment func(segmentFile) segmentFile // nil: use the *os.File as is
}

func (h openHooks) wrap(f *os.File) segmentFile {
	if h.wrapSegment == nil {
		return f
	}
	return h.wrapSegment(f)
}

// slowSync is the SlowSync fault layer: fsync, then wait out the rest of d.
type slowSync struct {
	segmentFile
	d time.Duration
}

func (f slowSync) Sync() error {
	start := time.Now()
	err := f.segmentFile.Sync()
	time.Sleep(f.d - time.Since(start))
	return err
}

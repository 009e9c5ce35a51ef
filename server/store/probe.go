package store

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// probeName is the file Probe writes and removes in the data directory.
const probeName = "probe"

// probeRetry spaces the retries of a failed probe: /healthz may be polled
// many times a second, and each probe is a write plus two fsyncs.
const probeRetry = time.Second

// Probe records whether the data directory takes a durable write. The
// store itself writes only when a tick has something to log, so a server
// restarted on a full disk would look healthy until the first player's box
// failed to persist; a Probe made at start finds out at once. Safe for
// concurrent use.
type Probe struct {
	dir  string
	mu   sync.Mutex
	ok   bool // a probe succeeded; sticky (the hub reports later failures)
	err  error
	last time.Time
}

// NewProbe probes dir now and returns the result holder.
func NewProbe(dir string) *Probe {
	p := &Probe{dir: dir}
	p.err = probe(dir)
	p.ok, p.last = p.err == nil, time.Now()
	return p
}

// Err returns the start probe's error (nil if it succeeded).
func (p *Probe) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// Check returns nil once a probe has succeeded. Until then it probes again,
// at most once per probeRetry, and returns the latest failure. It blocks
// for the probe's write and fsyncs.
func (p *Probe) Check() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ok {
		return nil
	}
	if time.Since(p.last) >= probeRetry {
		p.err, p.last = probe(p.dir), time.Now()
		p.ok = p.err == nil
	}
	return p.err
}

// probe writes a small file in dir, fsyncs it and the directory, and
// removes it again: the same path a checkpoint takes.
func probe(dir string) error {
	// A page: what a checkpoint or a log append needs at least.
	if err := writeFileAtomic(dir, probeName, make([]byte, 4096)); err != nil {
		return fmt.Errorf("store: data directory %s does not take a durable write: %w", dir, err)
	}
	if err := os.Remove(filepath.Join(dir, probeName)); err != nil {
		return fmt.Errorf("store: removing probe file: %w", err)
	}
	return syncDir(dir)
}

package main

import (
	"maps"
	"sync"
	"sync/atomic"
)

// counters is what every connection of a run adds to. Per-frame counts are
// atomics (hot path: one add per frame); rare events (closes, rejects,
// resyncs, dial errors) go to labelled maps under a mutex.
type counters struct {
	frames   [16]atomic.Int64 // by server frame type (0x01–0x0f)
	bytes    atomic.Int64     // payload bytes of server frames
	deltas   atomic.Int64     // Delta frames in sequence
	gaps     atomic.Int64     // Deltas whose seq was not last+1 (each triggers a ResyncRequest)
	ranges   atomic.Int64     // DeltaRanges in sequence (paced watchers, -pace)
	sets     atomic.Int64     // Set frames sent
	setBoxes atomic.Int64     // boxes in those Sets
	held     atomic.Int64     // connections open right now
	joined   atomic.Int64     // connections that got Welcome and Snapshot
	// Viewers' share (viewer.go): frames, bytes, moves, AreaDeltas in
	// sequence and viewers held now; and watchers' for the same-run
	// baseline.
	vframes, vbytes, vmoves atomic.Int64
	vdeltas, vheld          atomic.Int64
	wframes, wbytes         atomic.Int64

	mu     sync.Mutex
	events map[string]int64 // "close 4000 protocol_error", "reject rate", "resync lagging", "dial …"
}

func newCounters() *counters { return &counters{events: make(map[string]int64)} }

// event counts one labelled occurrence (n of them).
func (c *counters) event(label string, n int64) {
	c.mu.Lock()
	c.events[label] += n
	c.mu.Unlock()
}

// snapshot is a copy of the counters at one instant, for rates over a window.
type snapshot struct {
	frames                              [16]int64
	bytes, deltas, gaps, sets, setBoxes int64
	ranges                              int64
	held, joined                        int64
	vframes, vbytes, vmoves             int64
	vdeltas, vheld                      int64
	wframes, wbytes                     int64
	events                              map[string]int64
}

func (c *counters) snapshot() snapshot {
	var s snapshot
	for i := range c.frames {
		s.frames[i] = c.frames[i].Load()
	}
	s.bytes, s.deltas, s.gaps = c.bytes.Load(), c.deltas.Load(), c.gaps.Load()
	s.ranges = c.ranges.Load()
	s.sets, s.setBoxes = c.sets.Load(), c.setBoxes.Load()
	s.held, s.joined = c.held.Load(), c.joined.Load()
	s.vframes, s.vbytes, s.vmoves = c.vframes.Load(), c.vbytes.Load(), c.vmoves.Load()
	s.vdeltas, s.vheld = c.vdeltas.Load(), c.vheld.Load()
	s.wframes, s.wbytes = c.wframes.Load(), c.wbytes.Load()
	c.mu.Lock()
	s.events = maps.Clone(c.events)
	c.mu.Unlock()
	return s
}

// totalFrames is the number of server frames of every type.
func (s snapshot) totalFrames() int64 {
	var n int64
	for _, f := range s.frames {
		n += f
	}
	return n
}

package main

import (
	"sync"
	"sync/atomic"
	"time"

	"checkgrid/protocol"
)

// sendTimes records, per box, when a clicker last sent a Set for it: one
// atomic per box (8 MB), so clickers and observers never contend on a lock
// and nothing is allocated per click. Zero means "never sent".
type sendTimes struct {
	at []atomic.Int64 // unix nanoseconds, indexed by box
}

func newSendTimes() *sendTimes { return &sendTimes{at: make([]atomic.Int64, protocol.Boxes)} }

func (s *sendTimes) record(box uint32, t time.Time) { s.at[box].Store(t.UnixNano()) }

// since returns now − send time of box, and false if no clicker sent it.
func (s *sendTimes) since(box uint32, now time.Time) (time.Duration, bool) {
	t := s.at[box].Load()
	if t == 0 {
		return 0, false
	}
	return time.Duration(now.UnixNano() - t), true
}

// Histogram resolution: 100 µs buckets up to 10 s cover every latency worth
// reporting at the precision the bars need (150 ms); longer ones land in
// the last bucket and still count for max.
const (
	histBucket = 100 * time.Microsecond
	histSpan   = 10 * time.Second
	histLen    = int(histSpan / histBucket)
)

// histogram is a fixed-bucket latency histogram; safe for concurrent use.
type histogram struct {
	mu     sync.Mutex
	counts []int64
	n      int64
	max    time.Duration
}

func newHistogram() *histogram { return &histogram{counts: make([]int64, histLen)} }

// add records the samples of one Delta under one lock.
func (h *histogram) add(ds ...time.Duration) {
	h.mu.Lock()
	for _, d := range ds {
		h.counts[bucketOf(d)]++
		h.n++
		h.max = max(h.max, d)
	}
	h.mu.Unlock()
}

// reset forgets every sample, to start a measurement window.
func (h *histogram) reset() {
	h.mu.Lock()
	clear(h.counts)
	h.n, h.max = 0, 0
	h.mu.Unlock()
}

func bucketOf(d time.Duration) int {
	return min(max(int(d/histBucket), 0), histLen-1)
}

// quantiles holds the reported latency figures.
type quantiles struct {
	n             int64
	p50, p99, max time.Duration
}

// quantiles returns p50, p99 and max; a percentile is the upper edge of
// the bucket holding that rank, so it never under-reports.
func (h *histogram) quantiles() quantiles {
	h.mu.Lock()
	defer h.mu.Unlock()
	return quantiles{n: h.n, p50: percentile(h.counts, h.n, 0.50), p99: percentile(h.counts, h.n, 0.99), max: h.max}
}

// percentile returns the upper edge of the bucket holding the sample of
// rank ceil(p·n) (1-based) in counts, or 0 for no samples.
func percentile(counts []int64, n int64, p float64) time.Duration {
	if n == 0 {
		return 0
	}
	rank := int64(p * float64(n))
	if float64(rank) < p*float64(n) {
		rank++
	}
	rank = max(rank, 1)
	var seen int64
	for i, c := range counts {
		if seen += c; seen >= rank {
			return time.Duration(i+1) * histBucket
		}
	}
	return time.Duration(len(counts)) * histBucket
}

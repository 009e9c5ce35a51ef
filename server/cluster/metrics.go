package cluster

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// stats counts what a node's cluster machinery did. The counters are
// atomics so any goroutine may bump them; Collectors exposes them to
// Prometheus (checkgrid_cluster_*).
type stats struct {
	resets, gaps, backfilled             atomic.Uint64
	fenced, dupAcks, publishRetries      atomic.Uint64
	snapshots, badBatches                atomic.Uint64
	forwarded, droppedBoxes, refusedFull atomic.Uint64
	commit                               histogram
}

// histogram is the sequencer's commit latency per Delta (publish to
// quorum ack), with buckets from 250 µs to 1 s.
type histogram struct{ h prometheus.Histogram }

func (h *histogram) observe(d time.Duration) { h.h.Observe(d.Seconds()) }

func newStats() *stats {
	return &stats{commit: histogram{prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "checkgrid_cluster_commit_seconds",
		Help:    "Sequencer: time from publishing a Delta to the stream's quorum acknowledgement.",
		Buckets: prometheus.ExponentialBuckets(0.00025, 1.5, 22),
	})}}
}

// Collectors returns the node's metrics for a registry.
func (n *Node) Collectors() []prometheus.Collector {
	c := func(name, help string, v *atomic.Uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "checkgrid_cluster_" + name, Help: help},
			func() float64 { return float64(v.Load()) })
	}
	s := n.m
	return []prometheus.Collector{
		s.commit.h,
		c("resets_total", "Replica resets to a snapshot (start, or behind the stream's first seq).", &s.resets),
		c("gaps_total", "Live feed gaps found by seq (each backfilled from the stream).", &s.gaps),
		c("backfilled_total", "Deltas read from the stream rather than the live feed.", &s.backfilled),
		c("fenced_total", "Publishes refused by Nats-Expected-Last-Sequence.", &s.fenced),
		c("duplicate_acks_total", "Publishes retried after a lost ack and recognised by Nats-Msg-Id.", &s.dupAcks),
		c("publish_retries_total", "Publish attempts that failed and were retried.", &s.publishRetries),
		c("snapshots_total", "Snapshots written by this node as sequencer.", &s.snapshots),
		c("bad_batches_total", "Set batches from nodes that did not decode.", &s.badBatches),
		c("forwarded_boxes_total", "Boxes this node's players set that the sequencer acknowledged.", &s.forwarded),
		c("dropped_boxes_total", "Accepted boxes not committed within the accept bound (5 s), refused to their players.", &s.droppedBoxes),
		c("refused_full_total", "Set frames refused because the forwarding queue was full.", &s.refusedFull),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "checkgrid_cluster_sequencer", Help: "1 while this node is the sequencer."},
			func() float64 {
				if n.sequencing.Load() {
					return 1
				}
				return 0
			}),
	}
}

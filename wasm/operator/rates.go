package operator

import (
	"math"
	"time"
)

// quantile is the fan-out quantile the panel shows.
const quantile = 0.99

// Rates are the panel's figures over the interval between two Stats
// readings.
type Rates struct {
	TogglesPerSec float64
	// FanoutP99 is the upper bound of the bucket holding the interval's
	// 99th percentile of fan-out times; FanoutOK is false when nothing was
	// fanned out in the interval (or the buckets changed shape: a restart).
	FanoutP99 time.Duration
	FanoutOK  bool
}

// RatesBetween takes the rates from prev, read dt before cur.
func RatesBetween(prev, cur Stats, dt time.Duration) Rates {
	var r Rates
	if dt > 0 && cur.Toggles >= prev.Toggles {
		r.TogglesPerSec = float64(cur.Toggles-prev.Toggles) / dt.Seconds()
	}
	r.FanoutP99, r.FanoutOK = p99(prev.Fanout, cur.Fanout)
	return r
}

// p99 is the quantile of the observations cur has and prev had not.
func p99(prev, cur Histogram) (time.Duration, bool) {
	if len(prev.Counts) != len(cur.Counts) || len(cur.Bounds) != len(cur.Counts) || cur.Count <= prev.Count {
		return 0, false
	}
	n := cur.Count - prev.Count
	rank := uint64(math.Ceil(quantile * float64(n)))
	for i := range cur.Counts {
		if cur.Counts[i] < prev.Counts[i] {
			return 0, false
		}
		if cur.Counts[i]-prev.Counts[i] >= rank {
			return time.Duration(cur.Bounds[i] * float64(time.Second)), true
		}
	}
	// Past the last bound: at least that.
	return time.Duration(cur.Bounds[len(cur.Bounds)-1] * float64(time.Second)), true
}

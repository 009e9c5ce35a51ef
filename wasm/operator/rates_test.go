package operator

import (
	"testing"
	"time"
)

// TestRatesBetween: toggles/s is the counter's difference over the
// interval; the fan-out p99 is taken from the interval's observations only
// (an old slow one does not count), as the upper bound of its bucket.
func TestRatesBetween(t *testing.T) {
	bounds := []float64{0.001, 0.002, 0.004}
	// Before: 100 observations, all slow (past 4 ms).
	prev := Stats{Toggles: 1000, Fanout: Histogram{Bounds: bounds, Counts: []uint64{0, 0, 0}, Count: 100}}
	// Then 200 more: 190 under 1 ms, 8 under 2 ms, 2 under 4 ms.
	cur := Stats{Toggles: 1500, Fanout: Histogram{Bounds: bounds, Counts: []uint64{190, 198, 200}, Count: 300}}
	r := RatesBetween(prev, cur, 2*time.Second)
	if r.TogglesPerSec != 250 {
		t.Errorf("toggles/s %v, want 250", r.TogglesPerSec)
	}
	if !r.FanoutOK || r.FanoutP99 != 2*time.Millisecond {
		t.Errorf("p99 %v %v, want 2ms (rank 198 of 200 falls in the 2 ms bucket)", r.FanoutP99, r.FanoutOK)
	}
	if r := RatesBetween(cur, cur, time.Second); r.FanoutOK || r.TogglesPerSec != 0 {
		t.Errorf("no new observations: %+v", r)
	}
	slow := Stats{Fanout: Histogram{Bounds: bounds, Counts: []uint64{190, 198, 200}, Count: 310}}
	if r := RatesBetween(cur, slow, time.Second); !r.FanoutOK || r.FanoutP99 != 4*time.Millisecond {
		t.Errorf("ten past the last bound: %+v, want at least 4ms", r)
	}
	restarted := Stats{Fanout: Histogram{Bounds: bounds[:2], Counts: []uint64{1, 1}, Count: 400}}
	if r := RatesBetween(cur, restarted, time.Second); r.FanoutOK {
		t.Errorf("buckets changed shape: %+v", r)
	}
}

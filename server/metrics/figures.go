package metrics

import (
	"fmt"

	dto "github.com/prometheus/client_model/go"
)

// Figures is the handful of numbers the operator's console shows
// (GET /api/admin/stats, PROTOCOL.md), read from the same registry
// /metrics serves, so the console and a dashboard never disagree.
// Counters are totals since the server started: a reader takes their rate
// between two readings, and the fan-out quantile from the difference of
// two readings' buckets (the last interval, not the whole run).
type Figures struct {
	Players     int64     `json:"players"`     // checkgrid_players_online
	Connections int64     `json:"connections"` // checkgrid_connections
	Bots        int64     `json:"bots"`        // checkgrid_bot_connections
	Checked     int64     `json:"checked"`     // checkgrid_checked_boxes
	Seq         uint64    `json:"seq"`         // checkgrid_seq
	Toggles     uint64    `json:"toggles"`     // checkgrid_toggles_total
	BotToggles  uint64    `json:"bot_toggles"` // checkgrid_bot_toggles_total
	Refused     uint64    `json:"refused"`     // checkgrid_rejected_boxes_total, every reason
	Fanout      Histogram `json:"fanout_seconds"`
	DiskFree    uint64    `json:"disk_free_bytes"` // checkgrid_data_disk_free_bytes (0: not measured)
	DiskSize    uint64    `json:"disk_size_bytes"` // checkgrid_data_disk_size_bytes
}

// Histogram is a Prometheus histogram's cumulative buckets: Counts[i]
// observations were at most Bounds[i] seconds; Count is every observation
// (the +Inf bucket).
type Histogram struct {
	Bounds []float64 `json:"le"`
	Counts []uint64  `json:"counts"`
	Count  uint64    `json:"count"`
}

// Figures gathers the registry once and picks the console's figures out of
// it. A metric the server does not have (a gauge registered only in one
// mode) reads as zero.
func (m *Metrics) Figures() (Figures, error) {
	fams, err := m.reg.Gather()
	if err != nil {
		return Figures{}, fmt.Errorf("metrics: gather: %w", err)
	}
	var f Figures
	for _, fam := range fams {
		ms := fam.GetMetric()
		if len(ms) == 0 {
			continue
		}
		switch fam.GetName() {
		case "checkgrid_players_online":
			f.Players = int64(ms[0].GetGauge().GetValue())
		case "checkgrid_connections":
			f.Connections = int64(ms[0].GetGauge().GetValue())
		case "checkgrid_bot_connections":
			f.Bots = int64(ms[0].GetGauge().GetValue())
		case "checkgrid_checked_boxes":
			f.Checked = int64(ms[0].GetGauge().GetValue())
		case "checkgrid_seq":
			f.Seq = uint64(ms[0].GetGauge().GetValue())
		case "checkgrid_toggles_total":
			f.Toggles = uint64(ms[0].GetCounter().GetValue())
		case "checkgrid_bot_toggles_total":
			f.BotToggles = uint64(ms[0].GetCounter().GetValue())
		case "checkgrid_rejected_boxes_total":
			for _, c := range ms { // one series a reason
				f.Refused += uint64(c.GetCounter().GetValue())
			}
		case "checkgrid_fanout_seconds":
			f.Fanout = histogram(ms[0].GetHistogram())
		case "checkgrid_data_disk_free_bytes":
			f.DiskFree = uint64(ms[0].GetGauge().GetValue())
		case "checkgrid_data_disk_size_bytes":
			f.DiskSize = uint64(ms[0].GetGauge().GetValue())
		}
	}
	return f, nil
}

func histogram(h *dto.Histogram) Histogram {
	out := Histogram{Count: h.GetSampleCount(), Bounds: []float64{}, Counts: []uint64{}}
	for _, b := range h.GetBucket() {
		out.Bounds = append(out.Bounds, b.GetUpperBound())
		out.Counts = append(out.Counts, b.GetCumulativeCount())
	}
	return out
}

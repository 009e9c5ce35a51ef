package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is every number the server exports. Label values are fixed sets
// (reasons, codes, frame types), so cardinality stays bounded.
type Metrics struct {
	reg *prometheus.Registry

	Connections       prometheus.Gauge       // open WebSocket connections
	Accepted          prometheus.Counter     // WebSocket connections accepted, ever
	Refused           *prometheus.CounterVec // connections refused before upgrade, by reason
	Disconnects       *prometheus.CounterVec // connections ended, by close code name
	FramesSent        *prometheus.CounterVec // frames written, by type
	BytesSent         prometheus.Counter     // frame bytes written
	FramesRecv        *prometheus.CounterVec // frames read, by type
	BadFrames         *prometheus.CounterVec // frames rejected, by error
	Drops             *prometheus.CounterVec // frames not queued for a client, by reason
	Resyncs           *prometheus.CounterVec // snapshots re-sent, by reason
	Rejects           *prometheus.CounterVec // boxes refused, by reason
	BoxesSet          prometheus.Counter     // boxes received in Set frames
	Toggles           prometheus.Counter     // boxes that actually changed
	BotToggles        prometheus.Counter     // of Toggles, the boxes bots (API tokens) changed
	BotConnections    prometheus.Gauge       // open connections with a bot token
	Ticks             prometheus.Counter     // ticks that produced a Delta
	DeltaBoxes        prometheus.Histogram   // boxes per Delta
	TickSeconds       prometheus.Histogram   // collect + encode + append + fan-out
	FsyncSeconds      prometheus.Histogram   // store append including fsync
	FanoutSeconds     prometheus.Histogram   // a Delta published → its last write, per sender
	AreaFanoutSeconds prometheus.Histogram   // a tick's AreaDeltas handed over → their last write, per sender
	StorageFails      prometheus.Counter     // failed store appends
	Checkpoints       *prometheus.CounterVec // checkpoints, by result
	Seq               prometheus.Gauge       // last durable seq
	Checked           prometheus.Gauge       // checked boxes
	AdminRefused      *prometheus.CounterVec // admin API requests refused, by reason (rate, token)
	AdminActions      *prometheus.CounterVec // operator actions taken, by action
}

// New returns the metrics registered in a fresh registry, together with the
// Go runtime and process collectors.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	f := func(c prometheus.Collector) { m.reg.MustRegister(c) }
	cv := func(name, help, label string) *prometheus.CounterVec {
		v := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "checkgrid", Name: name, Help: help}, []string{label})
		f(v)
		return v
	}
	c := func(name, help string) prometheus.Counter {
		v := prometheus.NewCounter(prometheus.CounterOpts{Namespace: "checkgrid", Name: name, Help: help})
		f(v)
		return v
	}
	g := func(name, help string) prometheus.Gauge {
		v := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "checkgrid", Name: name, Help: help})
		f(v)
		return v
	}
	h := func(name, help string, b []float64) prometheus.Histogram {
		v := prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "checkgrid", Name: name, Help: help, Buckets: b})
		f(v)
		return v
	}
	m.Connections = g("connections", "Open WebSocket connections.")
	m.Accepted = c("connections_accepted_total", "WebSocket connections accepted.")
	m.Refused = cv("connections_refused_total", "Connections refused before the upgrade, by reason.", "reason")
	m.AdminRefused = cv("admin_refused_total", "Admin API requests refused, by reason.", "reason")
	m.AdminActions = cv("admin_actions_total", "Operator actions taken through the admin API, by action.", "action")
	m.Disconnects = cv("disconnects_total", "Connections ended, by close code.", "code")
	m.FramesSent = cv("frames_sent_total", "Frames written to clients, by type.", "type")
	m.BytesSent = c("bytes_sent_total", "Frame bytes written to clients.")
	m.FramesRecv = cv("frames_received_total", "Frames read from clients, by type.", "type")
	m.BadFrames = cv("bad_frames_total", "Client frames rejected as malformed, by error.", "error")
	m.Drops = cv("drops_total", "Frames not queued for a client, by reason.", "reason")
	m.Resyncs = cv("resyncs_total", "Snapshots re-sent to connected clients, by reason.", "reason")
	m.Rejects = cv("rejected_boxes_total", "Boxes refused in Set frames, by reason.", "reason")
	m.BoxesSet = c("set_boxes_total", "Boxes received in Set frames.")
	m.Toggles = c("toggles_total", "Boxes that actually changed value.")
	m.BotToggles = c("bot_toggles_total", "Of toggles_total, the boxes programs with a bot token changed.")
	m.BotConnections = g("bot_connections", "Open WebSocket connections with a bot token (in connections too).")
	m.Ticks = c("ticks_total", "Ticks that produced a Delta.")
	m.DeltaBoxes = h("delta_boxes", "Boxes per Delta.", prometheus.ExponentialBuckets(1, 4, 10))
	m.TickSeconds = h("tick_seconds", "Time to collect, encode, persist and fan out one tick.", prometheus.ExponentialBuckets(0.0001, 2, 14))
	m.FsyncSeconds = h("fsync_seconds", "Time to append and fsync one Delta.", prometheus.ExponentialBuckets(0.0001, 2, 14))
	m.FanoutSeconds = h("fanout_seconds", "Time from a Delta being published to a sender's last write of it (one observation per sender and Delta): the wait behind earlier commands plus the writes.", prometheus.ExponentialBuckets(0.0001, 2, 14))
	m.AreaFanoutSeconds = h("area_fanout_seconds", "Time from a tick's AreaDeltas being handed to a sender to its last write of them (one observation per sender and tick).", prometheus.ExponentialBuckets(0.0001, 2, 14))
	m.StorageFails = c("storage_failures_total", "Store appends that failed (disk full, I/O error).")
	m.Checkpoints = cv("checkpoints_total", "Checkpoints written, by result.", "result")
	m.Seq = g("seq", "Last durable seq.")
	m.Checked = g("checked_boxes", "Checked boxes.")
	m.zeros()
	f(collectors.NewGoCollector())
	f(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Register adds collectors of another package (server/cluster) to the
// registry /metrics serves.
func (m *Metrics) Register(cs ...prometheus.Collector) error {
	for _, c := range cs {
		if err := m.reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

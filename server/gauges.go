package main

import (
	"checkgrid/server/hub"

	"github.com/prometheus/client_golang/prometheus"
)

// hubGauges are the hub's own counts as gauges read at each scrape (the
// dashboard's players online, beside checkgrid_connections, which counts
// sockets: one player with three tabs is three connections).
func hubGauges(h *hub.Hub) []prometheus.Collector {
	return []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "checkgrid", Name: "players_online",
			Help: "Players online (one identity with many tabs counts once; bots are not players), as /api/stats online."},
			func() float64 { return float64(h.Stats().Online) }),
	}
}

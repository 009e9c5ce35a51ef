package admin

import (
	"io/fs"
	"net/http"
	"path/filepath"

	"checkgrid/server/metrics"
)

// Stats is the console panel's answer (GET /api/admin/stats): the
// server's figures (metrics.Figures, totals since the start, the reader
// takes rates and quantiles between two readings) and the bytes the data
// directory holds (the log, checkpoints, history keyframes, the audit log).
type Stats struct {
	metrics.Figures
	DataBytes int64 `json:"data_bytes"`
}

// stats answers the figures. The data directory is walked on each request
// (a few hundred files at most; the API's rate limit bounds how often).
func (a *api) stats(w http.ResponseWriter, _ *http.Request) {
	f, err := a.Metrics.Figures()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	reply(w, Stats{Figures: f, DataBytes: dirBytes(a.Data)})
}

// dirBytes is the size of the regular files under dir (0 for ""). A file
// that vanishes mid-walk (a segment retention removed) is skipped: the
// figure is a gauge, not an inventory.
func dirBytes(dir string) int64 {
	if dir == "" {
		return 0
	}
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		if info, err := d.Info(); err == nil {
			n += info.Size()
		}
		return nil
	})
	return n
}

package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sys/unix"
)

// Disk returns gauges of the file system holding dir, read at each
// scrape (one statfs, no walk of the directory): what the "disk filling"
// alert (deploy/checkgrid-alerts.yml) watches. A statfs that fails reads
// as 0 free bytes, which alerts rather than hides the fault.
func Disk(dir string) []prometheus.Collector {
	stat := func(f func(s *unix.Statfs_t) float64) func() float64 {
		return func() float64 {
			var s unix.Statfs_t
			if err := unix.Statfs(dir, &s); err != nil {
				return 0
			}
			return f(&s)
		}
	}
	return []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "checkgrid", Name: "data_disk_free_bytes",
			Help: "Bytes the server may still write on the data directory's file system."},
			stat(func(s *unix.Statfs_t) float64 { return float64(s.Bavail) * float64(s.Bsize) })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "checkgrid", Name: "data_disk_size_bytes",
			Help: "Size of the data directory's file system."},
			stat(func(s *unix.Statfs_t) float64 { return float64(s.Blocks) * float64(s.Bsize) })),
	}
}

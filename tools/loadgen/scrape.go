package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// serverMetrics is what the server itself says over a window, from its
// admin /metrics: how long its tick work and fsyncs took (the loop's share
// of toggle-to-seen), and what it dropped or refused and why.
type serverMetrics map[string]float64

// scrapeMetrics reads the Prometheus text exposition from admin/metrics,
// keeping the series the report uses. A missing admin address gives nil.
func scrapeMetrics(ctx context.Context, admin string) (serverMetrics, error) {
	if admin == "" {
		return nil, nil
	}
	if err := checkLoopback(hostOnly(admin)); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+admin+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := (&http.Client{Transport: &http.Transport{Proxy: nil}}).Do(req)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	defer resp.Body.Close()
	return parseMetrics(resp.Body)
}

// goMemSeries are the Go runtime's series the report breaks a connection's
// memory down with (stack against heap, and goroutines per connection).
var goMemSeries = map[string]bool{
	"go_memstats_stack_inuse_bytes": true,
	"go_memstats_heap_inuse_bytes":  true,
	"go_goroutines":                 true,
}

// parseMetrics keeps every checkgrid_ sample and goMemSeries, keyed by its
// full series name with labels as written.
func parseMetrics(r io.Reader) (serverMetrics, error) {
	m := serverMetrics{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		i := strings.LastIndexByte(line, ' ')
		if i < 0 || !strings.HasPrefix(line, "checkgrid_") && !goMemSeries[line[:i]] {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		m[line[:i]] = v
	}
	return m, sc.Err()
}

// sub returns b − a for every series of b (a window's increase).
func (b serverMetrics) sub(a serverMetrics) serverMetrics {
	d := serverMetrics{}
	for k, v := range b {
		d[k] = v - a[k]
	}
	return d
}

// histQuantile returns the upper bound of the bucket holding quantile q of
// histogram name (cumulative le buckets), or 0 if it has no samples.
func (m serverMetrics) histQuantile(name string, q float64) float64 {
	type bucket struct{ le, n float64 }
	var bs []bucket
	for k, v := range m {
		rest, ok := strings.CutPrefix(k, name+`_bucket{le="`)
		if !ok {
			continue
		}
		le, err := strconv.ParseFloat(strings.TrimSuffix(rest, `"}`), 64)
		if err != nil {
			continue // +Inf
		}
		bs = append(bs, bucket{le, v})
	}
	total := m[name+"_count"]
	if total <= 0 {
		return 0
	}
	var best float64 = -1
	for _, b := range bs {
		if b.n >= q*total && (best < 0 || b.le < best) {
			best = b.le
		}
	}
	if best < 0 {
		return mathInf
	}
	return best
}

// mathInf marks a quantile beyond the histogram's last finite bucket.
const mathInf = 1e308

// labelled returns "label=value n" lines for every series of a counter vec
// with a non-zero increase.
func (m serverMetrics) labelled(name string) []string {
	var out []string
	for k, v := range m {
		if rest, ok := strings.CutPrefix(k, name+"{"); ok && v != 0 {
			out = append(out, fmt.Sprintf("%s %.0f", strings.TrimSuffix(rest, "}"), v))
		}
	}
	return out
}

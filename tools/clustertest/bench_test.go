package clustertest

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/peer"
	"checkgrid/tools/serverproc"
)

// Figures for BENCHMARKS.md "Cluster", each beside the single process in
// the same run:
//
//	go test -run '^$' -bench Cluster -benchtime 200x ./tools/clustertest/
//
// One iteration is one toggle by a player on node A until a player on
// node B sees it (single: both on the one process), while loaders keep
// 2,000 toggles/s going; afterwards the CPU of every process over
// cpuWindow at that load, and (cluster) the sequencer's commit latency
// from its histogram.
const (
	benchLoaders = 5 // × 4 boxes / 10 ms = 2,000 toggles/s
	cpuWindow    = 10 * time.Second
)

func BenchmarkCluster(b *testing.B) {
	b.Run("single", func(b *testing.B) {
		w := benchWorld(b, false)
		benchToggle(b, w, w.single, w.single)
	})
	b.Run("cluster", func(b *testing.B) {
		w := benchWorld(b, true)
		benchToggle(b, w, w.nodeProc("a"), w.nodeProc("b"))
	})
}

// bw is a world for a benchmark.
type bw struct {
	*world
	single *serverproc.Proc
}

func (w *bw) nodeProc(n string) *serverproc.Proc {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.nodes[n]
}

func benchWorld(b *testing.B, clustered bool) *bw {
	w := &bw{world: &world{t: b, dir: b.TempDir(), logs: &logBuf{}, nodes: map[string]*serverproc.Proc{}}}
	if !clustered {
		data := filepath.Join(w.dir, "single")
		if err := os.MkdirAll(data, 0o755); err != nil {
			b.Fatal(err)
		}
		p, err := serverproc.Start(bins.Server, append([]string{"-addr", "127.0.0.1:0", "-admin", "127.0.0.1:0", "-data", data}, nodeFlags...), w.logs, time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = p.Stop(10 * time.Second) })
		w.single = p
		w.nodes["single"] = p
		return w
	}
	cw := newWorld(b)
	for _, n := range []string{"a", "b", "c"} {
		cw.node(n)
	}
	cw.sequencer(20 * time.Second)
	return &bw{world: cw}
}

// benchToggle measures toggle→seen from A's player to B's under load.
func benchToggle(b *testing.B, w *bw, a, bp *serverproc.Proc) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	w.loadCtx, w.stopLoad = context.WithCancel(ctx)
	defer w.stopLoad()
	addrs := w.addrs()
	for i := range benchLoaders {
		w.load(w.loadCtx, addrs[i%len(addrs)], uint64(i+100), loadEvery)
	}
	pa, err := peer.Dial(ctx, "ws://"+a.Addr+"/ws", peer.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer pa.Conn.CloseNow()
	go func() {
		for {
			if _, err := pa.Next(ctx); err != nil {
				return
			}
		}
	}()
	pb, err := peer.Dial(ctx, "ws://"+bp.Addr+"/ws", peer.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer pb.Conn.CloseNow()
	time.Sleep(2 * time.Second) // load settles
	cpu0 := w.cpuAll()
	start := time.Now()
	var lat []time.Duration
	const box = protocol.Boxes - 1 // the loaders may hit it too: measure only our flips
	b.ResetTimer()
	for i := range b.N {
		want := i%2 == 0
		// A random phase against the tick: right after a Delta, every
		// toggle would wait a whole tick.
		time.Sleep(time.Duration(rand.Int64N(int64(60 * time.Millisecond))))
		t0 := time.Now()
		if err := pa.Set(ctx, protocol.Change{Index: box, Value: want}); err != nil {
			b.Fatal(err)
		}
		for pb.Grid.Get(box) != want {
			if _, err := pb.Next(ctx); err != nil {
				b.Fatal(err)
			}
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	if rest := cpuWindow - time.Since(start); rest > 0 {
		time.Sleep(rest)
	}
	cpu1 := w.cpuAll()
	secs := time.Since(start).Seconds()
	slices.Sort(lat)
	b.ReportMetric(ms(lat[len(lat)/2]), "seen_p50_ms")
	b.ReportMetric(ms(lat[len(lat)*99/100]), "seen_p99_ms")
	for name, c := range cpu1 {
		b.ReportMetric((c-cpu0[name])/secs, "cpu_"+name)
	}
	if w.single == nil {
		seqr := w.sequencer(10 * time.Second)
		p50, p99 := histQuantiles(b, w.nodeProc(seqr).Admin, "checkgrid_cluster_commit_seconds")
		b.ReportMetric(p50*1000, "commit_p50_ms")
		b.ReportMetric(p99*1000, "commit_p99_ms")
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// cpuAll is the CPU seconds used so far by every node and NATS server.
func (w *bw) cpuAll() map[string]float64 {
	out := map[string]float64{}
	w.mu.Lock()
	for n, p := range w.nodes {
		out["node_"+n] = cpuSeconds(p.Pid())
	}
	w.mu.Unlock()
	if w.nats != nil {
		for i, o := range w.nats.Plan {
			if p := w.nats.Proc(i); p != nil {
				out["nats_"+o.Name] = cpuSeconds(p.Pid())
			}
		}
	}
	return out
}

// cpuSeconds reads utime+stime of pid from /proc (Linux, 100 ticks/s).
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return math.NaN()
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	u, _ := strconv.ParseFloat(f[11], 64)
	s, _ := strconv.ParseFloat(f[12], 64)
	return (u + s) / 100
}

// histQuantiles estimates p50 and p99 of a Prometheus histogram from its
// buckets (the upper bound of the bucket the quantile falls in).
func histQuantiles(b *testing.B, admin, name string) (float64, float64) {
	resp := metricsText(b, admin)
	type bucket struct{ le, n float64 }
	var bs []bucket
	for _, line := range strings.Split(resp, "\n") {
		if !strings.HasPrefix(line, name+"_bucket{") {
			continue
		}
		le := line[strings.Index(line, `le="`)+4:]
		le = le[:strings.IndexByte(le, '"')]
		f := strings.Fields(line)
		n, _ := strconv.ParseFloat(f[len(f)-1], 64)
		v, err := strconv.ParseFloat(le, 64)
		if err != nil {
			v = math.Inf(1)
		}
		bs = append(bs, bucket{v, n})
	}
	if len(bs) == 0 || bs[len(bs)-1].n == 0 {
		return math.NaN(), math.NaN()
	}
	total := bs[len(bs)-1].n
	q := func(p float64) float64 {
		for _, x := range bs {
			if x.n >= p*total {
				return x.le
			}
		}
		return math.Inf(1)
	}
	return q(0.5), q(0.99)
}

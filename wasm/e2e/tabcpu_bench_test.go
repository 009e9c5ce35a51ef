//go:build !js

package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/performance"
	"github.com/chromedp/chromedp"

	"checkgrid/protocol"
)

// What a tab costs the machine it runs on (issue 24): the alive whole grid
// (density, glow) must cost a phone's battery little.

// Tab CPU measurement.
const (
	// cpuWindow is how long each phase is measured: long enough that the
	// once-a-second work (Stats, the retained frame's refresh) is averaged.
	cpuWindow = 10 * time.Second
	// cpuSettle is how long a phase runs before it is measured (the jump
	// to Fit drawn, the writer's first ticks arrived).
	cpuSettle = 2 * time.Second
	// writerRate and writerTick: 2,000 toggles a second, as 20 Sets of 100
	// boxes (the server's tick rate), spread uniformly over the grid.
	writerRate = 2000
	writerTick = 50 * time.Millisecond
	// clockTicks is Linux's USER_HZ, the unit of /proc/<pid>/stat's times.
	clockTicks = 100
)

// cpuServerArgs let one writer reach writerRate: the default limits are a
// person's (20 boxes a second).
var cpuServerArgs = []string{"-rate", "4000", "-burst", "8000", "-addr-rate", "4000", "-addr-burst", "8000"}

// paintProbe runs in the page before its scripts: it counts the animation
// frames in which WebGL drew anything (window.__painted), by wrapping the
// draw calls every build's renderer makes, so builds are compared on what
// they paint, whatever they publish.
const paintProbe = `(() => {
  window.__painted = 0;
  let drew = false;
  for (const C of [window.WebGL2RenderingContext, window.WebGLRenderingContext]) {
    if (!C) continue;
    for (const m of ["drawElements", "drawArrays"]) {
      const f = C.prototype[m];
      C.prototype[m] = function (...a) { drew = true; return f.apply(this, a); };
    }
  }
  const tick = () => {
    if (drew) { window.__painted++; drew = false; }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();`

// BenchmarkTabCPU loads the page in headless Chromium (tabSizes; WebGL on
// SwiftShader, so drawing is CPU work here as it is battery on a phone)
// and measures, per second of wall time, over cpuWindow in three
// phases: idle at the landing view, idle at Fit, and at Fit while a
// protocol client on loopback toggles writerRate boxes a second. Reported:
// the page's main thread busy time (Chromium's Performance.getMetrics
// TaskDuration, task-ms/s), the part of it running script (ScriptDuration,
// script-ms/s: the wasm and its JS glue), the CPU time of every Chromium
// process together (browser-cpu-ms/s, from /proc) and of its GPU process
// alone (gpu-cpu-ms/s: SwiftShader's drawing), and the frames painted a
// second (fps: animation frames with a WebGL draw, paintProbe). With
// E2E_BASELINE_SERVER set to another server binary it measures that build
// first, in the same run:
//
//	go test -run '^$' -bench TabCPU -benchtime 1x ./wasm/e2e/
func BenchmarkTabCPU(b *testing.B) {
	builds := []struct{ name, bin string }{{"current", buildServer(b)}}
	if bin := os.Getenv("E2E_BASELINE_SERVER"); bin != "" {
		builds = append([]struct{ name, bin string }{{"baseline", bin}}, builds...)
	}
	for _, build := range builds {
		for _, size := range tabSizes {
			b.Run(build.name+"/"+size.name, func(b *testing.B) { tabCPU(b, build.bin, size.vp) })
		}
	}
}

// tabSizes are the windows BenchmarkTabCPU measures: a laptop's, and the
// tests' small one, where SwiftShader draws four times fewer pixels and so
// paints as often as a page asks, as a real GPU would.
var tabSizes = []struct {
	name string
	vp   viewport
}{{"1280x800", viewport{W: 1280, H: 800, Scale: 1}}, {"640x480", viewport{W: screenW, H: screenH, Scale: 1}}}

// tabCPU is one build at one window size.
func tabCPU(b *testing.B, bin string, vp viewport) {
	srv := startServerBin(b, bin, cpuServerArgs...)
	br := newBrowser(b)
	var sums [3]cpuUse
	for range b.N {
		p := br.openIn("tab", srv.URL+"/", vp, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			if _, err := cdp.Call(ctx, t, performance.Enable, performance.EnableParams{}); err != nil {
				return err
			}
			_, err := cdp.Call(ctx, t, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: paintProbe})
			return err
		}))
		p.waitReady()
		sums[0] = sums[0].add(measureTab(b, p, br))
		p.press("F")
		p.waitHooks("the whole grid", 10*time.Second, func(h hooks) bool { return h.Zoom > 0 && h.Zoom < 1 })
		sums[1] = sums[1].add(measureTab(b, p, br))
		stop := srv.write(b, writerRate, writerTick)
		sums[2] = sums[2].add(measureTab(b, p, br))
		stop()
		if err := chromedp.Cancel(p.ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(0, "ns/op")
	for i, phase := range []string{"idle", "fit", "fit2000"} {
		u := sums[i].div(b.N)
		b.ReportMetric(u.task, phase+"-task-ms/s")
		b.ReportMetric(u.script, phase+"-script-ms/s")
		b.ReportMetric(u.browser, phase+"-browser-cpu-ms/s")
		b.ReportMetric(u.gpu, phase+"-gpu-cpu-ms/s")
		b.ReportMetric(u.fps, phase+"-fps")
	}
}

// cpuUse is CPU time per second of wall time, in milliseconds.
// fps is frames painted a second.
type cpuUse struct{ task, script, browser, gpu, fps float64 }

func (u cpuUse) add(v cpuUse) cpuUse {
	return cpuUse{u.task + v.task, u.script + v.script, u.browser + v.browser, u.gpu + v.gpu, u.fps + v.fps}
}

func (u cpuUse) div(n int) cpuUse {
	f := float64(n)
	return cpuUse{u.task / f, u.script / f, u.browser / f, u.gpu / f, u.fps / f}
}

// measureTab lets the page settle for cpuSettle, then returns what it and
// the whole browser used over cpuWindow.
func measureTab(b *testing.B, p *page, br *browser) cpuUse {
	b.Helper()
	time.Sleep(cpuSettle) // a measurement window, not a wait for a condition
	proc := chromedp.FromContext(br.ctx).Browser.Process()
	if proc == nil {
		b.Fatal("no browser process")
	}
	m0, c0, t0 := tabMetrics(b, p), treeCPU(b, proc.Pid), time.Now()
	time.Sleep(cpuWindow)
	m1, c1, t1 := tabMetrics(b, p), treeCPU(b, proc.Pid), time.Now()
	wall := t1.Sub(t0).Seconds()
	perSecond := func(ticks int64) float64 { return float64(ticks) * 1000 / clockTicks / wall }
	return cpuUse{
		task:    (m1["TaskDuration"] - m0["TaskDuration"]) * 1000 / wall,
		script:  (m1["ScriptDuration"] - m0["ScriptDuration"]) * 1000 / wall,
		browser: perSecond(c1.all - c0.all),
		gpu:     perSecond(c1.gpu - c0.gpu),
		fps:     (m1["painted"] - m0["painted"]) / wall,
	}
}

// tabMetrics is Chromium's Performance.getMetrics for the page, by name
// (durations in seconds since the domain was enabled).
func tabMetrics(b *testing.B, p *page) map[string]float64 {
	b.Helper()
	m := map[string]float64{}
	err := chromedp.Do(p.ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		res, err := cdp.Call(ctx, t, performance.GetMetrics, cdp.Empty{})
		if err != nil {
			return err
		}
		for _, x := range res.Metrics {
			m[x.Name] = x.Value
		}
		return nil
	}))
	if err != nil {
		b.Fatalf("Performance.getMetrics: %v", err)
	}
	painted, err := chromedp.Run(p.ctx, chromedp.Evaluate[float64](`window.__painted || 0`))
	if err != nil {
		b.Fatalf("window.__painted: %v", err)
	}
	m["painted"] = painted
	return m
}

// ticks is CPU time in clock ticks: of a process tree, and of its GPU
// process.
type ticks struct{ all, gpu int64 }

// treeCPU is the user and system time of process pid and every process
// below it (Chromium's renderer, GPU and utility processes), and of the
// GPU process (--type=gpu-process) among them.
func treeCPU(b *testing.B, pid int) ticks {
	b.Helper()
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		b.Fatal(err)
	}
	parent := map[int]int{}
	used := map[int]int64{}
	for _, f := range stats {
		raw, err := os.ReadFile(f)
		if err != nil {
			continue // the process ended
		}
		// pid (comm) state ppid … utime(14) stime(15): comm may hold
		// spaces, so fields are counted after its closing parenthesis.
		s := string(raw)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		fs := strings.Fields(s[i+1:])
		if len(fs) < 13 {
			continue
		}
		me, _ := strconv.Atoi(strings.Fields(s[:i])[0])
		pp, _ := strconv.Atoi(fs[1])
		ut, _ := strconv.ParseInt(fs[11], 10, 64)
		st, _ := strconv.ParseInt(fs[12], 10, 64)
		parent[me], used[me] = pp, ut+st
	}
	var sum ticks
	for p, t := range used {
		for q := p; q > 1; q = parent[q] {
			if q == pid {
				sum.all += t
				if cmd, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p)); err == nil && strings.Contains(string(cmd), "--type=gpu-process") {
					sum.gpu += t
				}
				break
			}
		}
	}
	return sum
}

// write flips rate random boxes a second on the server, in Sets every
// tick, from one protocol client on loopback that also reads everything
// the server sends it; stop ends it and closes the connection.
func (s *server) write(b *testing.B, rate int, tick time.Duration) (stop func()) {
	b.Helper()
	p, ctx, cancel := s.dialPeer(b, "writer")
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for {
			if _, err := p.Next(ctx); err != nil {
				return
			}
		}
	}()
	per := int(float64(rate) * tick.Seconds())
	go func() {
		defer wg.Done()
		t := time.NewTicker(tick)
		defer t.Stop()
		rng := rand.New(rand.NewPCG(1, 2))
		cs := make([]protocol.Change, per)
		// The grid starts empty and only this client writes: each change
		// flips its box.
		on := make([]bool, protocol.GridWidth*protocol.GridHeight)
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			seen := map[uint32]bool{}
			for i := range cs {
				idx := rng.Uint32N(protocol.GridWidth * protocol.GridHeight)
				for seen[idx] {
					idx = rng.Uint32N(protocol.GridWidth * protocol.GridHeight)
				}
				seen[idx] = true
				on[idx] = !on[idx]
				cs[i] = protocol.Change{Index: idx, Value: on[idx]}
			}
			if err := p.Set(ctx, cs...); err != nil {
				return
			}
		}
	}()
	return func() {
		cancel()
		p.Conn.CloseNow()
		wg.Wait()
	}
}

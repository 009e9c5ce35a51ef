//go:build !js

package e2e

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// firstFrameProbe runs in the page before its own scripts: it records when
// the client first reports a drawn frame (window.checkgrid.ready) and when
// the first grid pixels were painted (the page's "checkgrid-first-frame"
// mark, or that first drawn frame for a page without one), in
// milliseconds since navigation started (performance.now), checked every
// animation frame. It reads only the hook every build of the client has.
const firstFrameProbe = `(() => {
  const poll = () => {
    const mark = performance.getEntriesByName("checkgrid-first-frame")[0];
    if (mark && !window.__gridMS) window.__gridMS = mark.startTime;
    if (window.checkgrid && window.checkgrid.ready) {
      window.__firstFrameMS = performance.now();
      if (!window.__gridMS) window.__gridMS = window.__firstFrameMS;
      return;
    }
    requestAnimationFrame(poll);
  };
  requestAnimationFrame(poll);
})();`

// BenchmarkFirstFrame loads the page in a fresh tab (cache disabled) at
// 1280×800, the size of a laptop, on loopback and over a link throttled to
// 10 Mbit/s and 40 ms (DevTools), and reports the time from navigation to
// the first grid pixels (grid-ms/load: the page's first frame, or the
// game's for a build without one), to the first drawn frame of the game,
// when it can be played (ms/load), and the bytes the wasm and the whole
// page took on the wire (wasm-bytes, page-bytes: the encoded, compressed
// sizes Chromium counts). local-revisit is a return visit on loopback:
// the browser's cache kept (and with it any compiled wasm the browser
// cached by the wasm's URL) from one untimed load before the timed ones.
// With E2E_BASELINE_SERVER set to another server
// binary (an older build, which embeds its own client), it measures that
// one too in the same run, for BENCHMARKS.md:
//
//	go test -run '^$' -bench FirstFrame -benchtime 5x ./wasm/e2e/
func BenchmarkFirstFrame(b *testing.B) {
	builds := []struct{ name, bin string }{{"current", buildServer(b)}}
	if bin := os.Getenv("E2E_BASELINE_SERVER"); bin != "" {
		builds = append([]struct{ name, bin string }{{"baseline", bin}}, builds...)
	}
	for _, link := range []struct {
		name        string
		slow, cache bool
	}{{"local", false, false}, {"10mbit", true, false}, {"local-revisit", false, true}} {
		for _, build := range builds {
			b.Run(link.name+"/"+build.name, func(b *testing.B) {
				srv := startServerBin(b, build.bin)
				br := newBrowser(b)
				if link.cache {
					// One visit fills the cache; it stays a while, as a
					// player would, so the browser can cache the wasm's
					// compiled code too (V8 does once enough of it is
					// optimised).
					p := br.open("first-visit", srv.URL+"/")
					p.waitReady()
					time.Sleep(revisitDwell)
					if err := chromedp.Cancel(p.ctx); err != nil {
						b.Fatal(err)
					}
				}
				var total, grid time.Duration
				var wasmBytes, pageBytes float64
				for range b.N {
					l := loadOnce(b, br, srv.URL+"/", link.slow, link.cache)
					total += l.ready
					grid += l.grid
					wasmBytes, pageBytes = l.wasm, l.all
				}
				b.ReportMetric(0, "ns/op")
				b.ReportMetric(float64(grid.Milliseconds())/float64(b.N), "grid-ms/load")
				b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/load")
				b.ReportMetric(wasmBytes, "wasm-bytes")
				b.ReportMetric(pageBytes, "page-bytes")
			})
		}
	}
}

// revisitDwell is how long the first visit of local-revisit stays open
// (a measured stay, not a wait for a condition).
const revisitDwell = 5 * time.Second

// load is what one page load took.
type load struct {
	grid, ready time.Duration // to the first grid pixels, to the game's first frame
	wasm, all   float64       // encoded bytes of the wasm, of every response
}

// loadOnce opens url in a new tab, throttled to 10 Mbit/s and 40 ms if
// slow, with the browser's cache disabled unless cache, and returns what
// the load took.
func loadOnce(b *testing.B, br *browser, url string, slow, cache bool) load {
	b.Helper()
	var mu sync.Mutex
	urls := map[network.RequestID]string{}
	encoded := map[network.RequestID]float64{}
	ctx, cancel := chromedp.NewContext(br.ctx, chromedp.WithListener(func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *network.EventResponseReceived:
			urls[e.RequestID] = e.Response.URL
		case *network.EventLoadingFinished:
			encoded[e.RequestID] = e.EncodedDataLength
		}
	}))
	defer cancel()
	// A new tab gets a target on its first action; set it up, then
	// navigate, so the probe and the network log see the whole load.
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		if _, err := cdp.Call(ctx, t, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: !cache}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: firstFrameProbe})
		return err
	}), chromedp.EmulateViewport(1280, 800, chromedp.EmulateScale(1)), throttleIf(slow), chromedp.Navigate(url)); err != nil {
		b.Fatalf("loading %s: %v", url, err)
	}
	deadline := time.Now().Add(120 * time.Second)
	var ms [2]float64
	for {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[[2]float64](`[window.__gridMS || 0, window.__firstFrameMS || 0]`))
		if err == nil && v[1] > 0 {
			ms = v
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("no first frame within 120 s (%v)", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	var wasm, all float64
	for id, n := range encoded {
		all += n
		if strings.HasSuffix(urls[id], "/checkgrid.wasm") {
			wasm = n
		}
	}
	return load{
		grid:  time.Duration(ms[0] * float64(time.Millisecond)),
		ready: time.Duration(ms[1] * float64(time.Millisecond)),
		wasm:  wasm, all: all,
	}
}

// throttleIf is throttle to 10 Mbit/s and 40 ms if slow, else nothing.
func throttleIf(slow bool) chromedp.Action[chromedp.Void] {
	if !slow {
		return chromedp.Func(func(context.Context, *chromedp.Target) error { return nil })
	}
	return throttle(slowBytesPerSecond, slowLatencyMS)
}

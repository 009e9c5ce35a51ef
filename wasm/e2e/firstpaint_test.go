//go:build !js

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"checkgrid/protocol"
)

// The first second (issue 24): over a slow link the page shows the real
// grid where the player lands before the WebAssembly has arrived, the
// progress bar moves with the bytes, and the game takes over in place.

// Throttled link: 10 Mbit/s down and up, 40 ms from request to response
// headers (DevTools' emulation, as a laptop on a fair connection).
const (
	slowBytesPerSecond = 10e6 / 8
	slowLatencyMS      = 40
)

// throttle is the DevTools action that slows every request of a tab.
func throttle(bytesPerSecond, latencyMS float64) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			MatchedNetworkConditions: []*network.Conditions{{
				Latency: latencyMS, DownloadThroughput: bytesPerSecond, UploadThroughput: bytesPerSecond,
			}},
		})
		return err
	})
}

// loading is what the page says about the game's download: the progress
// bar's width (percent), whether the first frame is on the page, when it
// was painted (the page's performance mark) and when the wasm response
// ended (its resource timing entry), in ms since navigation; 0 if not yet.
type loading struct {
	Fill    float64 `json:"fill"`
	First   bool    `json:"first"`
	FirstAt float64 `json:"firstAt"`
	WasmEnd float64 `json:"wasmEnd"`
}

func (p *page) loading() (loading, error) {
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[loading](`(() => {
		const mark = performance.getEntriesByName("checkgrid-first-frame")[0];
		const wasm = performance.getEntriesByType("resource").find((e) => e.name.endsWith("/assets/checkgrid.wasm"));
		return {
			fill: parseFloat(document.getElementById("fill").style.width) || 0,
			first: !!document.getElementById("first"),
			firstAt: mark ? mark.startTime : 0,
			wasmEnd: wasm ? wasm.responseEnd : 0,
		};
	})()`))
}

// waitLoading polls the page's loading state until cond holds, keeping
// every width the progress bar showed during the download in fills.
func (p *page) waitLoading(what string, timeout time.Duration, fills map[float64]bool, cond func(loading) bool) loading {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		l, err := p.loading()
		if err == nil {
			if l.WasmEnd == 0 && l.Fill > 0 && l.Fill < 100 {
				fills[l.Fill] = true
			}
			if cond(l) {
				return l
			}
		}
		if time.Now().After(deadline) {
			p.fail("%s: not within %v (%+v, %v)", what, timeout, l, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// landing asks the server where a new player lands (PROTOCOL.md,
// /api/grid.png's X-Landing).
func (s *server) landing(t *testing.T) (x, y int) {
	t.Helper()
	resp, err := http.Head(s.URL + "/api/grid.png")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if _, err := fmt.Sscanf(resp.Header.Get("X-Landing"), "%d,%d", &x, &y); err != nil {
		t.Fatalf("X-Landing %q: %v", resp.Header.Get("X-Landing"), err)
	}
	return x, y
}

// TestFirstFrameThrottled: at 10 Mbit/s and 40 ms, the page shows the
// boxes of its landing place, pixel-checked against the server's grid,
// while the wasm is still downloading; the progress bar advances through
// the download; the game then takes over at the same place, and every
// screenshot from the first frame to the game's shows the same boxes in the
// same place (no blank frame, no jump).
func TestFirstFrameThrottled(t *testing.T) {
	srv := startServer(t)
	w := srv.watch(t)
	const rx, ry = 700, 300
	w.set(ring(rx, ry, 10)...)
	w.waitBox(box(rx+9, ry+9), true, 5*time.Second)
	g, _ := srv.snapshot()
	lx, ly := srv.landing(t)
	v := view{X: lx, Y: ly, Zoom: 20, W: screenW, H: screenH}
	// Every box within 8 columns and 5 rows of the landing place, as the
	// server has it: the ring and the unchecked boxes around and inside
	// it. (Further out, the loader's panel and the game's HUD and help
	// line cover the grid at the top and bottom.)
	var want []expect
	for y := ly - 5; y <= ly+5; y++ {
		for x := lx - 8; x <= lx+8; x++ {
			l := lookUnchecked
			if g.Get(uint32(y*protocol.GridWidth + x)) {
				l = lookChecked
			}
			want = append(want, expect{x, y, l})
		}
	}
	boxes := func(s shot) string { return s.check(v, want) }

	p := newBrowser(t).openIn("page", srv.URL+"/", viewport{W: screenW, H: screenH, Scale: 1},
		throttle(slowBytesPerSecond, slowLatencyMS))
	fills := map[float64]bool{}
	l := p.waitLoading("the first frame painted", 30*time.Second, fills, func(l loading) bool { return l.FirstAt > 0 })
	// The first frame's pixels, while it is still on the page (a
	// screenshot of a page compiling its wasm can take seconds).
	s, err := p.screenshot()
	if err != nil {
		p.fail("screenshot: %v", err)
	}
	p.last = s
	if why := boxes(s); why != "" {
		saveArtifact(t, "first-frame.png", s.png)
		t.Fatalf("the first frame: %s", why)
	}
	if l2, err := p.loading(); err != nil || !l2.First {
		t.Fatalf("the first frame was gone before its screenshot was taken (%+v, %v): the game took over too fast to check it", l2, err)
	}
	l = p.waitLoading("the wasm downloaded", 60*time.Second, fills, func(l loading) bool { return l.WasmEnd > 0 })
	if l.FirstAt >= l.WasmEnd {
		t.Errorf("the first grid pixels came at %.0f ms, after the wasm had downloaded (%.0f ms)", l.FirstAt, l.WasmEnd)
	}
	t.Logf("first grid pixels %.0f ms after navigation, wasm downloaded at %.0f ms (10 Mbit/s, 40 ms)", l.FirstAt, l.WasmEnd)

	// Until the game is up, every screenshot shows the same boxes: no
	// blank frame at the handover, no jump.
	deadline := time.Now().Add(90 * time.Second)
	for {
		s, err := p.screenshot()
		if err != nil {
			p.fail("screenshot: %v", err)
		}
		l, lerr := p.loading()
		h, herr := p.hooks()
		if why := boxes(s); why != "" {
			p.last = s
			saveArtifact(t, "handover.png", s.png)
			t.Fatalf("during the handover (first frame on the page %v, game ready %v): %s", l.First, h.Ready, why)
		}
		if herr == nil && h.Ready && lerr == nil && !l.First {
			break // the game drew its first synced frame and the first frame is gone
		}
		if time.Now().After(deadline) {
			p.fail("the game did not take over within 90 s (hooks %+v, loading %+v)", h, l)
		}
	}
	ready := time.Since(p.opened)
	t.Logf("game ready (first interaction) after %v", ready.Round(time.Millisecond))
	if len(fills) < 3 {
		t.Errorf("the progress bar showed %d distinct widths during the download (%v), want it to advance", len(fills), keys(fills))
	}
	// The game is where the first frame was: same centre, same zoom.
	h, _ := p.hooks()
	if h.X != lx || h.Y != ly || h.Zoom != 20 {
		t.Errorf("the game started at (%d,%d) at %v px a box, the first frame showed (%d,%d) at 20", h.X, h.Y, h.Zoom, lx, ly)
	}
	p.waitPixels("the game's own frame", time.Now(), 10*time.Second, boxes)
}

func keys(m map[float64]bool) []string {
	var out []string
	for k := range m {
		out = append(out, strconv.FormatFloat(k, 'f', 1, 64))
	}
	return out
}

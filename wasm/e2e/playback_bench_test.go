//go:build !js

package e2e

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"checkgrid/protocol"
	"checkgrid/server/store"
)

// The playback figure (issue 21, BENCHMARKS.md "Playback"): a day of
// synthetic history played in a minute in headless Chromium.

// The synthetic day: the 2,000 toggles/s as 20 ticks a second of
// 100 changes, from clickers and drawers (as server/store's
// BenchmarkHistoryStorageDay): 50 single boxes anywhere, and 2 or 3 lines
// of dayLine adjacent boxes in a row.
const (
	dayTicksPerSec = 20
	dayClickers    = 50
	dayLine        = 20
	// playbackLimit bounds the wait for the day to play out: a minute of
	// playback, and the client's lag behind it if it cannot keep up.
	playbackLimit = 5 * time.Minute
)

// playbackHours is the length of the synthetic history: a day for the
// figure; less to try the benchmark out (-args -playback.hours=1).
var playbackHours = flag.Int("playback.hours", 24, "hours of synthetic history BenchmarkPlaybackDay plays")

// daySynth is what synthDay wrote.
type daySynth struct {
	first, last time.Time // commit times of records 1 and the last
	records     uint64
	changes     int64
	frames      int64 // bytes of the records' Delta frames: every tick, as a live player got them
	took        time.Duration
}

// synthDay writes playbackHours of history ending a minute ago into a new data
// directory through store.NewImport (the records keep their own commit
// times, 50 ms apart), from the empty grid at seq 0.
func synthDay(b *testing.B, dir string) daySynth {
	b.Helper()
	t0 := time.Now()
	length := time.Duration(*playbackHours) * time.Hour
	ticks := int(length.Seconds()) * dayTicksPerSec
	gap := time.Second / dayTicksPerSec
	start := time.Now().Add(-length - time.Minute).Truncate(time.Second)
	im, err := store.NewImport(dir, &store.State{Epoch: 1}, start.UnixNano(), store.Chain{}, false, nil, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(21, 24))
	var grid protocol.Bitset
	var idx []uint32
	var frame []byte
	var toggles uint64
	d := daySynth{first: start.Add(gap)}
	for t := range ticks {
		idx = idx[:0]
		for range dayClickers {
			idx = append(idx, uint32(rng.IntN(protocol.Boxes)))
		}
		for range 2 + t%2 {
			row, col := rng.IntN(protocol.GridHeight), rng.IntN(protocol.GridWidth-dayLine)
			for i := range dayLine {
				idx = append(idx, uint32(row*protocol.GridWidth+col+i))
			}
		}
		slices.Sort(idx)
		idx = slices.Compact(idx)
		seq := uint64(t + 1)
		if frame, err = protocol.AppendDelta(frame[:0], seq, idx); err != nil {
			b.Fatal(err)
		}
		for _, i := range idx {
			grid.Flip(i)
		}
		toggles += uint64(len(idx))
		d.changes += int64(len(idx))
		d.frames += int64(len(frame))
		at := start.Add(time.Duration(t+1) * gap)
		if err := im.Add(seq, toggles, at.UnixNano(), frame, &grid); err != nil {
			im.Abort()
			b.Fatal(err)
		}
		d.records, d.last = seq, at
	}
	if err := im.Finish(&grid); err != nil {
		b.Fatal(err)
	}
	d.took = time.Since(t0)
	return d
}

// log2Choose is log2 C(n, k): the bits that name k boxes of n.
func log2Choose(n, k int) float64 {
	a, _ := math.Lgamma(float64(n + 1))
	c, _ := math.Lgamma(float64(k + 1))
	e, _ := math.Lgamma(float64(n - k + 1))
	return (a - c - e) / math.Ln2
}

// BenchmarkPlaybackDay: a synthetic day (synthDay: 1.73 M records, 172.8 M
// changes) served by the real server; the page opens the past at the
// day's first second (a t= link, the whole grid on screen) and plays it
// at a day a minute, the client's own choice of points (2 minutes of
// history a frame at 10 frames a second asked). Reported: the playback
// frames shown a second and the frames drawn a second (Chromium's
// SwiftShader), the bytes the page fetched for playback (Chromium's
// encoded bytes), and beside them the entropy of the net changes those
// frames carried: log2 C(1e6, k) bits for a frame of k boxes, computed
// from the same answers fetched again; and what every tick's Delta frame
// would have been (a live player's bytes for the day). make playback runs
// it.
func BenchmarkPlaybackDay(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "day")
	day := synthDay(b, dir)
	b.Logf("synthesised a day: %d records, %d changes, %s .. %s, in %v", day.records, day.changes,
		day.first.UTC().Format(time.RFC3339), day.last.UTC().Format(time.RFC3339), day.took.Round(time.Millisecond))
	srv := startServer(b, "-data", dir)
	for range b.N {
		playDay(b, srv, day)
	}
}

// playStopped is a promise that resolves when the page's Play button,
// pressed (aria-pressed "true") at or after the call, is released: the
// client stopped playing, which it does at the end of the history (the
// same Publish sets the button and window.checkgrid.time). A DOM mutation
// observed in the page, so the measured minute is neither sampled nor
// loaded by a poll.
const playStopped = `new Promise(resolve => {
  const play = document.getElementById("play");
  let pressed = false;
  const check = () => {
    if (play.getAttribute("aria-pressed") === "true") pressed = true;
    else if (pressed) { seen.disconnect(); resolve(true); }
  };
  const seen = new MutationObserver(check);
  seen.observe(play, { attributes: true, attributeFilter: ["aria-pressed"] });
  check();
})`

func playDay(b *testing.B, srv *server, day daySynth) {
	b.Helper()
	// A second in (seq 20): a moment the page can be seen to have loaded.
	at := day.first.Add(time.Second).UTC().Format(time.RFC3339)
	link := fmt.Sprintf("#x=500&y=500&z=0.7&t=%s", url.QueryEscape(at))
	p := newBrowser(b).open("playback", srv.URL+"/"+link)
	p.waitReady()
	p.waitHooks("the past at the day's start", 60*time.Second, func(h hooks) bool {
		return h.Time.Mode == "paused" && h.Time.Seq >= 1 && h.Time.End > 0
	})

	var mu sync.Mutex
	urls := map[network.RequestID]string{}
	encoded := map[network.RequestID]float64{}
	capture := func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			urls[e.RequestID] = e.Request.URL
		case *network.EventLoadingFinished:
			encoded[e.RequestID] = e.EncodedDataLength
		}
	}
	p.onEvent.Store(&capture)
	if err := chromedp.Do(p.ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, network.Enable, network.EnableParams{})
		return err
	})); err != nil {
		b.Fatalf("network capture: %v", err)
	}

	h0, err := p.hooks()
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	p.clickID("play")
	ctx, cancel := context.WithTimeout(p.ctx, playbackLimit)
	_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](playStopped, chromedp.EvalAwaitPromise))
	cancel()
	took := time.Since(t0)
	if err != nil {
		h, herr := p.hooks()
		b.Fatalf("the day did not play out within %v: %v (hooks %+v, err %v)", playbackLimit, err, h, herr)
	}
	h1 := p.waitHooks("paused at the day's last record", 10*time.Second, func(h hooks) bool {
		return h.Time.Mode == "paused" && uint64(h.Time.Seq) >= day.records
	})

	mu.Lock()
	var playURLs []string
	var playBytes, otherBytes float64
	for id, u := range urls {
		switch {
		case strings.Contains(u, "/api/history/playback"):
			playURLs = append(playURLs, u)
			playBytes += encoded[id]
		case strings.Contains(u, "/api/history"):
			otherBytes += encoded[id]
		}
	}
	mu.Unlock()

	// The same answers again, decoded: the net change each frame shows.
	var frames, boxes int
	var bits float64
	var payload, body int64
	var idx []uint32
	for _, u := range playURLs {
		resp, err := http.Get(u)
		if err != nil {
			b.Fatal(err)
		}
		raw, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("%s: %d %v", u, resp.StatusCode, err)
		}
		body += int64(len(raw))
		for len(raw) > 0 {
			f, rest, err := protocol.NextPlayback(raw)
			if err == nil {
				idx, err = f.Delta.AppendIndexes(idx[:0])
			}
			if err != nil {
				b.Fatalf("%s: %v", u, err)
			}
			frames++
			boxes += len(idx)
			bits += log2Choose(protocol.Boxes, len(idx))
			payload += int64(f.Delta.PayloadSize())
			raw = rest
		}
	}
	shown := h1.Time.Shown - h0.Time.Shown
	draws := h1.Frames - h0.Frames
	sec := took.Seconds()
	entropy := bits / 8
	b.Logf("a day played in %v: %d playback frames shown (%d in the %d answers), %d draws; fetched %.1f MB for playback (%.1f MB of bodies, %.0f B of other history requests); net changes: %d boxes, entropy %.1f MB, payload %.1f MB",
		took.Round(time.Millisecond), shown, frames, len(playURLs), draws, playBytes/1e6, float64(body)/1e6, otherBytes, boxes, entropy/1e6, float64(payload)/1e6)
	b.ReportMetric(sec, "s/day")
	b.ReportMetric(float64(shown)/sec, "shown/s")
	b.ReportMetric(float64(draws)/sec, "draws/s")
	b.ReportMetric(playBytes/sec/1e6, "MB/s")
	b.ReportMetric(playBytes/1e6, "MB/day")
	b.ReportMetric(entropy/1e6, "entropy-MB/day")
	b.ReportMetric(playBytes/entropy, "fetched/entropy")
	b.ReportMetric(float64(payload)*8/float64(max(boxes, 1)), "payload-bits/box")
	b.ReportMetric(bits/float64(max(boxes, 1)), "entropy-bits/box")
	b.ReportMetric(float64(day.frames)/1e6, "every-tick-MB/day")
}

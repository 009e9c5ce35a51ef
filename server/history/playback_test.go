package history

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/store"
)

// playbackTicks records in a directory with small keyframe intervals, so
// answers jump keyframes, replay between them and page.
const playbackTicks = 1500

type recorded struct {
	frames [][]byte // frames[s] is record s's (1-based)
	times  []int64
}

// buildPlayback writes playbackTicks random ticks (a few boxes each, most
// in the top-left 100×100 corner) through a real Store, keyframe every
// KiB of log (~55 ticks of compact records), and returns the directory and what it holds.
func buildPlayback(t *testing.T) (string, *recorded) {
	t.Helper()
	dir := t.TempDir()
	s, st, err := store.Open(dir, store.Options{Sync: store.SyncInterval, CheckpointBytes: 1 << 10, SegmentBytes: 8 << 10})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(21, 21))
	rec := &recorded{frames: [][]byte{nil}, times: []int64{0}}
	for range playbackTicks {
		var idx []uint32
		for range 1 + rng.IntN(4) {
			x, y := rng.IntN(100), rng.IntN(100)
			if rng.IntN(4) == 0 {
				x, y = rng.IntN(1000), rng.IntN(1000)
			}
			idx = append(idx, uint32(y*1000+x))
		}
		slices.Sort(idx)
		rec.frames = append(rec.frames, commit(t, s, st, nil, slices.Compact(idx)))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	h := store.OpenHistory(dir)
	if err := h.Records(1, playbackTicks, func(r store.Record) error {
		rec.times = append(rec.times, r.Time)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if keys, _ := h.Keyframes(playbackTicks); len(keys) < 10 {
		t.Fatalf("only %d keyframes: the test wants many", len(keys))
	}
	return dir, rec
}

// points is the oracle: the seqs after from up to to that end a bucket
// (PROTOCOL.md, Playback), and the grid at from and at each.
func (rec *recorded) points(from, to uint64, bucket func(seq uint64) uint64) (map[uint64]*protocol.Bitset, []uint64) {
	grids := map[uint64]*protocol.Bitset{}
	var pts []uint64
	var rep protocol.Replica
	var empty protocol.Bitset
	rep.Reset(1, 0, &empty)
	for s := uint64(0); s <= to; s++ {
		if s > 0 {
			if _, err := rep.Apply(rec.frames[s]); err != nil {
				panic(err)
			}
		}
		if s == from || (s > from && (s == to || bucket(s) != bucket(s+1))) {
			g := rep.Grid
			grids[s] = &g
			if s > from {
				pts = append(pts, s)
			}
		}
	}
	return grids, pts
}

func sameIn(a protocol.Area, x, y *protocol.Bitset) bool {
	if a.Whole() {
		return *x == *y
	}
	for row := uint32(a.Y); row < uint32(a.Y)+uint32(a.H); row++ {
		for col := uint32(a.X); col < uint32(a.X)+uint32(a.W); col++ {
			if i := row*protocol.GridWidth + col; x.Get(i) != y.Get(i) {
				return false
			}
		}
	}
	return true
}

// TestPlayback: over a real data directory and HTTP, the playback answers
// for seq steps, time steps and an area, followed page by page, show at
// every frame exactly the grid (inside the area) at that point, name only
// points that end a bucket, chain by prev, and end each page at a point;
// the answers are immutable.
func TestPlayback(t *testing.T) {
	dir, rec := buildPlayback(t)
	srv := httptest.NewServer(NewHandler(store.OpenHistory(dir), Limits{}, nil))
	defer srv.Close()
	span := rec.times[playbackTicks] - rec.times[1]
	corner := protocol.Area{X: 0, Y: 0, W: 50, H: 60}
	for _, c := range []struct {
		from, to uint64
		step     uint64
		every    time.Duration
		area     protocol.Area
		pages    int // at least
	}{
		{from: 0, to: playbackTicks, step: 1, area: protocol.WholeGrid, pages: 3},
		{from: 5, to: 1400, step: 7, area: protocol.WholeGrid},
		{from: 3, to: playbackTicks, step: 400, area: protocol.WholeGrid},
		{from: 10, to: 900, step: 13, area: corner},
		{from: 0, to: playbackTicks, every: time.Duration(span/50/1e6+1) * time.Millisecond, area: protocol.WholeGrid},
		{from: 1, to: playbackTicks, every: time.Hour, area: corner},
	} {
		name := fmt.Sprintf("%d..%d step %d every %v area %v", c.from, c.to, c.step, c.every, c.area)
		bucket := func(s uint64) uint64 {
			q := playbackQuery{step: c.step, every: c.every}
			if s > playbackTicks {
				return ^uint64(0)
			}
			return q.key(s, rec.times[s])
		}
		grids, pts := rec.points(c.from, c.to, bucket)
		g := *grids[c.from]
		held, pages := c.from, 0
		for held < c.to {
			q := fmt.Sprintf("%s/api/history/playback?from=%d&to=%d", srv.URL, held, c.to)
			if c.step != 0 {
				q += fmt.Sprintf("&step=%d", c.step)
			} else {
				q += "&every=" + c.every.String()
			}
			if c.area != protocol.WholeGrid {
				q += fmt.Sprintf("&area=%d,%d,%d,%d", c.area.X, c.area.Y, c.area.W, c.area.H)
			}
			resp, err := http.Get(q)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != cacheImmutable {
				t.Fatalf("%s: %s: %d %s", name, q, resp.StatusCode, body)
			}
			pages++
			for len(body) > 0 {
				f, rest, err := protocol.NextPlayback(body)
				var idx []uint32
				if err == nil {
					idx, err = f.Delta.AppendIndexes(nil)
				}
				if err != nil {
					t.Fatalf("%s: frame after %d: %v", name, held, err)
				}
				if f.Delta.Prev != held || !slices.Contains(pts, f.Delta.Seq) || f.Time != rec.times[f.Delta.Seq] {
					t.Fatalf("%s: frame %d after %d (time %d, want %d); points %v", name, f.Delta.Seq, f.Delta.Prev, f.Time, rec.times[f.Delta.Seq], pts)
				}
				for _, i := range idx {
					if !c.area.Contains(i) {
						t.Fatalf("%s: frame %d: box %d outside the area", name, f.Delta.Seq, i)
					}
					g.Flip(i)
				}
				if !sameIn(c.area, &g, grids[f.Delta.Seq]) {
					t.Fatalf("%s: the grid after frame %d differs from the grid at %d", name, f.Delta.Seq, f.Delta.Seq)
				}
				held, body = f.Delta.Seq, rest
			}
			last, _ := strconv.ParseUint(resp.Header.Get("X-Last-Seq"), 10, 64)
			next := resp.Header.Get("X-Next-From")
			if grids[last] == nil || !sameIn(c.area, &g, grids[last]) || (last < c.to) != (next != "") || (next != "" && next != strconv.FormatUint(last, 10)) {
				t.Fatalf("%s: page ends at %d (next %q) with the grid there: %v", name, last, next, grids[last] != nil && sameIn(c.area, &g, grids[last]))
			}
			held = last
		}
		if pages < c.pages {
			t.Errorf("%s: %d pages, want at least %d", name, pages, c.pages)
		}
	}
}

// TestPlaybackBadRequests: each bad query is a 4xx naming the reason.
func TestPlaybackBadRequests(t *testing.T) {
	dir, _ := buildPlayback(t)
	srv := httptest.NewServer(NewHandler(store.OpenHistory(dir), Limits{}, nil))
	defer srv.Close()
	for _, c := range []struct {
		query string
		code  int
		why   string
	}{
		{"from=1&to=5", 400, "give step"},
		{"from=1&to=5&step=1&every=1s", 400, "give step"},
		{"from=1&to=5&step=0", 400, "step 0"},
		{"from=1&to=5&step=-1", 400, "decimal"},
		{"from=5&to=5&step=1", 400, "not before"},
		{"from=6&to=5&step=1", 400, "not before"},
		{"to=5&step=1", 400, "from is missing"},
		{"from=1&to=5&every=1", 400, "whole milliseconds"},
		{"from=1&to=5&every=1us", 400, "whole milliseconds"},
		{"from=1&to=5&every=1.5ms", 400, "whole milliseconds"},
		{"from=1&to=5&every=10000h", 400, "whole milliseconds"},
		{"from=1&to=5&every=-1s", 400, "whole milliseconds"},
		{"from=1&to=5&step=1&area=0,0,10", 400, "x,y,w,h"},
		{"from=1&to=5&step=1&area=0,0,0,10", 400, "inside"},
		{"from=1&to=5&step=1&area=995,0,10,10", 400, "inside"},
		{"from=1&to=5&step=1&area=a,0,1,1", 400, "x,y,w,h"},
		{"from=1&to=5&step=1&area=+1,0,1,1", 400, "x,y,w,h"},
		{"from=1&to=5&step=1&area=0,0,1,1&area=0,0,1,1", 400, "2 times"},
		{"from=1&to=5&step=1&speed=2", 400, "unknown parameter"},
		{fmt.Sprintf("from=1&to=%d&step=1", playbackTicks+1), 404, "after the last seq"},
	} {
		resp, err := http.Get(srv.URL + "/api/history/playback?" + c.query)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.code || !strings.Contains(string(b), c.why) || resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: %d %q, want %d naming %q", c.query, resp.StatusCode, b, c.code, c.why)
		}
	}
}

package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/history"
)

// hget fetches url and returns the status, headers and body.
func hget(t *testing.T, url string, hdr ...string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// observed is what a connected player saw: the grid's hash at every seq
// from its snapshot on, and every Delta frame.
type observed struct {
	base   uint64
	grids  map[uint64][32]byte
	frames map[uint64][]byte
}

func observe(p *protocol.Replica) *observed {
	o := &observed{base: p.Seq, grids: map[uint64][32]byte{}, frames: map[uint64][]byte{}}
	o.grids[p.Seq] = gridHash(&p.Grid)
	return o
}

func gridHash(g *protocol.Bitset) [32]byte {
	var b []byte
	for _, w := range g {
		b = append(b, byte(w), byte(w>>8), byte(w>>16), byte(w>>24), byte(w>>32), byte(w>>40), byte(w>>48), byte(w>>56))
	}
	return sha256.Sum256(b)
}

// TestHistoryAPIEqualsWhatAPlayerSaw: over real sockets and files, a player
// watches changes; then the history API's grid at every seq it saw (as a
// Snapshot frame and as a PNG) equals its grid there, the Delta frames of
// the range are the bytes it received, closed answers are immutable with a
// strong ETag that revalidates to 304, and a restart keeps all of it.
func TestHistoryAPIEqualsWhatAPlayerSaw(t *testing.T) {
	ts := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	watcher := ts.dial(ctx)
	o := observe(&watcher.Replica)
	watcher.OnDelta = func(seq uint64, frame []byte, _ []uint32) {
		o.frames[seq] = append([]byte(nil), frame...)
		o.grids[seq] = gridHash(&watcher.Grid)
	}
	p := ts.dial(ctx)
	var last uint64
	for i := range uint32(12) {
		last = flip(t, ctx, p, 1000*i+i) // a diagonal: a picture
	}
	if err := watcher.WaitSeq(ctx, last); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		for seq := o.base; seq <= last; seq++ {
			code, h, body := hget(t, fmt.Sprintf("%s/api/history/snapshot?seq=%d", ts.URL, seq))
			if code != http.StatusOK {
				t.Fatalf("%s: snapshot seq %d: %d %s", when, seq, code, body)
			}
			s, err := protocol.DecodeSnapshot(body)
			var g protocol.Bitset
			if err == nil {
				err = s.Bits(&g)
			}
			if err != nil || s.Seq != seq || gridHash(&g) != o.grids[seq] {
				t.Fatalf("%s: history's grid at seq %d (frame seq %d, err %v) differs from what the player saw", when, seq, s.Seq, err)
			}
			if h.Get("Cache-Control") != "public, max-age=31536000, immutable" || !strings.HasPrefix(h.Get("ETag"), `"`) || h.Get("X-Seq") != strconv.FormatUint(seq, 10) {
				t.Fatalf("%s: seq %d headers %v", when, seq, h)
			}
			if seq > o.base && h.Get("X-Time") == "" {
				t.Fatalf("%s: seq %d has no commit time", when, seq)
			}
			if code, _, _ := hget(t, fmt.Sprintf("%s/api/history/snapshot?seq=%d", ts.URL, seq), "If-None-Match", h.Get("ETag")); code != http.StatusNotModified {
				t.Fatalf("%s: revalidating seq %d: %d, want 304", when, seq, code)
			}
		}
		code, _, body := hget(t, fmt.Sprintf("%s/api/history/deltas?from=%d&to=%d", ts.URL, o.base+1, last))
		if code != http.StatusOK {
			t.Fatalf("%s: deltas: %d %s", when, code, body)
		}
		for seq := o.base + 1; seq <= last; seq++ {
			e, rest, err := history.NextEntry(body)
			if err != nil || e.Seq != seq || !bytes.Equal(e.Frame, o.frames[seq]) || e.Time == 0 {
				t.Fatalf("%s: deltas entry for seq %d: seq %d time %d err %v; frame equal %v", when, seq, e.Seq, e.Time, err, bytes.Equal(e.Frame, o.frames[seq]))
			}
			body = rest
		}
		if len(body) != 0 {
			t.Fatalf("%s: %d bytes after the last entry", when, len(body))
		}
		code, _, body = hget(t, fmt.Sprintf("%s/api/history/grid.png?seq=%d", ts.URL, last))
		img, err := png.Decode(bytes.NewReader(body))
		if code != http.StatusOK || err != nil || img.Bounds().Dx() != 1000 || img.Bounds().Dy() != 1000 {
			t.Fatalf("%s: png: %d %v", when, code, err)
		}
		for i := range uint32(12) {
			i := 1000*i + i
			if r, _, _, _ := img.At(int(i%1000), int(i/1000)).RGBA(); (r == 0) != watcher.Grid.Get(i) {
				t.Fatalf("%s: png pixel of box %d is %d, the box is %v", when, i, r, watcher.Grid.Get(i))
			}
		}
		var ex history.Extent
		code, _, body = hget(t, ts.URL+"/api/history")
		if err := json.Unmarshal(body, &ex); code != http.StatusOK || err != nil || ex.FirstSeq != 0 || ex.LastSeq < last || len(ex.Epochs) == 0 || len(ex.Chain) != 64 || ex.FirstChain == "" {
			t.Fatalf("%s: extent %d %s (%v)", when, code, body, err)
		}
	}
	check("live")
	watcher.Close()
	p.Close()
	ts.Stop()
	ts = startServer(t, "-data", ts.Data)
	check("after a restart")

	// checkgrid history verify, of the live server and of its directory;
	// then one byte of an old record flipped: verify names it.
	var out, errs strings.Builder
	if code := history.Main([]string{"verify", ts.URL}, &out, &errs); code != 0 || !strings.Contains(out.String(), "ok: ") {
		t.Fatalf("verify %s: exit %d\n%s%s", ts.URL, code, out.String(), errs.String())
	}
	ts.Stop()
	out.Reset()
	if code := history.Main([]string{"verify", ts.Data}, &out, &errs); code != 0 || !strings.Contains(out.String(), "(its base: complete)") {
		t.Fatalf("verify %s: exit %d\n%s%s", ts.Data, code, out.String(), errs.String())
	}
	seg := filepath.Join(ts.Data, "wal-0000000000000001.log")
	b, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	b[40+6] ^= 1 // the first record's body (after the 40-byte segment header and the record's length and its check)
	if err := os.WriteFile(seg, b, 0o644); err != nil {
		t.Fatal(err)
	}
	errs.Reset()
	if code := history.Main([]string{"verify", ts.Data}, &out, &errs); code != 1 ||
		!strings.Contains(errs.String(), "wal-0000000000000001.log at offset 40") || !strings.Contains(errs.String(), "seq 1") {
		t.Fatalf("verify after a flipped byte: exit %d: %s", code, errs.String())
	}
}

// TestHistoryBadRequests: every malformed or out-of-range request gets a
// 4xx naming the reason, and the server goes on serving.
func TestHistoryBadRequests(t *testing.T) {
	ts := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p := ts.dial(ctx)
	last := flip(t, ctx, p, 5)
	for _, c := range []struct {
		query string
		code  int
		why   string
	}{
		{"/snapshot", 400, "give seq"},
		{"/snapshot?seq=", 400, "decimal"},
		{"/snapshot?seq=-1", 400, "decimal"},
		{"/snapshot?seq=+1", 400, "decimal"},
		{"/snapshot?seq=1x", 400, "decimal"},
		{"/snapshot?seq=99999999999999999999", 400, "out of range"},
		{"/snapshot?seq=1&seq=2", 400, "2 times"},
		{"/snapshot?seq=1&time=2025-01-01T00:00:00Z", 400, "not both"},
		{"/snapshot?sek=1", 400, "unknown parameter"},
		{"/snapshot?time=yesterday", 400, "RFC 3339"},
		{"/snapshot?time=1960-01-01T00:00:00Z", 400, "outside"},
		{fmt.Sprintf("/snapshot?seq=%d", last+1000), 404, "not in the kept history"},
		{"/grid.png?seq=abc", 400, "decimal"},
		{fmt.Sprintf("/grid.png?seq=%d", last+1), 404, "not in the kept history"},
		{"/deltas?from=2", 400, "to is missing"},
		{"/deltas?from=3&to=2", 400, "after to"},
		{"/deltas?from=0&to=2", 400, "start at seq 1"},
		{fmt.Sprintf("/deltas?from=1&to=%d", last+1), 404, "not in the kept history"},
		{"/playback?from=1&to=2", 400, "give step"},
		{"/playback?from=1&to=2&every=2x", 400, "whole milliseconds"},
		{fmt.Sprintf("/playback?from=1&to=%d&step=1", last+1), 404, "after the last seq"},
		{"?x=1", 400, "unknown parameter"},
		{"/nothing", 404, "no such history request"},
	} {
		code, h, body := hget(t, ts.URL+"/api/history"+c.query)
		if code != c.code || !strings.Contains(string(body), c.why) || h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: %d %q (Cache-Control %q), want %d naming %q", c.query, code, body, h.Get("Cache-Control"), c.code, c.why)
		}
	}
	if code, _, _ := hget(t, ts.URL+fmt.Sprintf("/api/history/snapshot?seq=%d", last)); code != 200 {
		t.Fatalf("after bad requests: %d", code)
	}
	// Before the first record, the grid was empty: seq 0. After the last
	// commit, the grid now, which may still change: not immutable.
	code, h, _ := hget(t, ts.URL+"/api/history/snapshot?time=2000-01-01T00:00:00Z")
	if code != 200 || h.Get("X-Seq") != "0" || !strings.Contains(h.Get("Cache-Control"), "immutable") {
		t.Fatalf("time before the first record: %d, %v", code, h)
	}
	code, h, _ = hget(t, ts.URL+"/api/history/snapshot?time="+time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	if code != 200 || h.Get("X-Seq") != strconv.FormatUint(last, 10) || h.Get("Cache-Control") != "public, max-age=1" {
		t.Fatalf("time after the last record: %d, %v", code, h)
	}
}

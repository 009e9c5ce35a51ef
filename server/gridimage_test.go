package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"checkgrid/protocol"
)

// gridPNG fetches /api/grid.png and checks it against the grid: one pixel
// a box, #1f6feb where the box is checked and #f4f4f4 where not. It
// returns the response.
func gridPNG(t *testing.T, ts *testServer, g *protocol.Bitset, hdr ...string) *http.Response {
	t.Helper()
	resp, body := get(t, ts.URL+"/api/grid.png", "", hdr...)
	if resp.StatusCode != http.StatusOK {
		return resp
	}
	if ct := resp.Header.Get("Content-Type"); ct != "image/png" {
		t.Fatalf("Content-Type %q", ct)
	}
	img, err := png.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("decoding the grid image: %v", err)
	}
	if b := img.Bounds(); b != image.Rect(0, 0, protocol.GridWidth, protocol.GridHeight) {
		t.Fatalf("grid image is %v", b)
	}
	bad := 0
	for i := range uint32(protocol.Boxes) {
		r, gg, b, _ := img.At(int(i%protocol.GridWidth), int(i/protocol.GridWidth)).RGBA()
		checked := r>>8 == 0x1f && gg>>8 == 0x6f && b>>8 == 0xeb
		unchecked := r>>8 == 0xf4 && gg>>8 == 0xf4 && b>>8 == 0xf4
		if checked != g.Get(i) || checked == unchecked {
			if bad++; bad < 5 {
				t.Errorf("box %d: pixel %02x%02x%02x, checked on the server: %v", i, r>>8, gg>>8, b>>8, g.Get(i))
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d pixels differ from the server's grid", bad)
	}
	return resp
}

// TestGridImage: /api/grid.png is the server's grid at the seq it names,
// with the landing place at the busiest drawing and a strong ETag per
// seq; a later request shows later changes.
func TestGridImage(t *testing.T) {
	ts := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p := ts.dial(ctx)
	// A drawing at (700..709, 300) and a lone box far from it.
	var cs []protocol.Change
	for x := 700; x < 710; x++ {
		cs = append(cs, protocol.Change{Index: uint32(300*protocol.GridWidth + x), Value: true})
	}
	cs = append(cs, protocol.Change{Index: 900*protocol.GridWidth + 50, Value: true})
	if err := p.Set(ctx, cs...); err != nil {
		t.Fatal(err)
	}
	for p.Grid.Count() != len(cs) {
		if _, err := p.Next(ctx); err != nil {
			t.Fatal(err)
		}
	}
	g, seq := ts.snapshot()
	resp := gridPNG(t, ts, g)
	if got := resp.Header.Get("X-Seq"); got != strconv.FormatUint(seq, 10) {
		t.Fatalf("X-Seq %q, want %d", got, seq)
	}
	var lx, ly int
	if _, err := fmt.Sscanf(resp.Header.Get("X-Landing"), "%d,%d", &lx, &ly); err != nil {
		t.Fatalf("X-Landing %q: %v", resp.Header.Get("X-Landing"), err)
	}
	if lx < 695 || lx > 715 || ly < 295 || ly > 305 {
		t.Errorf("lands at (%d,%d), want by the drawing at (700..709,300)", lx, ly)
	}
	etag := resp.Header.Get("ETag")
	if !strings.HasPrefix(etag, `"`) || !strings.Contains(etag, strconv.FormatUint(seq, 10)) {
		t.Fatalf("ETag %q: want a strong one naming seq %d", etag, seq)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("Cache-Control %q, want no-cache (revalidate by ETag)", cc)
	}
	if resp, _ := get(t, ts.URL+"/api/grid.png", "", "If-None-Match", etag); resp.StatusCode != http.StatusNotModified {
		t.Fatalf("revalidation at the same seq: %d, want 304", resp.StatusCode)
	}

	// A change: a later image shows it (within the render interval).
	flip(t, ctx, p, 123)
	g, seq = ts.snapshot()
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp := gridPNG(t, ts, g, "If-None-Match", etag)
		if resp.StatusCode == http.StatusOK {
			if got := resp.Header.Get("X-Seq"); got != strconv.FormatUint(seq, 10) {
				t.Fatalf("X-Seq %q, want %d", got, seq)
			}
			if resp.Header.Get("ETag") == etag {
				t.Fatal("a new seq kept the old ETag")
			}
			break
		}
		if resp.StatusCode != http.StatusNotModified || time.Now().After(deadline) {
			t.Fatalf("after a change: %d (want 200 with seq %d within the render interval)", resp.StatusCode, seq)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

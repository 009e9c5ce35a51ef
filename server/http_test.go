package main

import (
	"bytes"
	"checkgrid"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/identity"
	"checkgrid/server/peer"

	"github.com/andybalholm/brotli"
)

func get(t *testing.T, url, acceptEncoding string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	// Set explicitly so Go's transport does not decompress transparently.
	req.Header.Set("Accept-Encoding", acceptEncoding)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func decode(t *testing.T, enc string, b []byte) []byte {
	t.Helper()
	var r io.Reader
	switch enc {
	case "br":
		r = brotli.NewReader(bytes.NewReader(b))
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	case "":
		return b
	default:
		t.Fatalf("unexpected encoding %q", enc)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%s body: %v", enc, err)
	}
	return out
}

var wasmRefRE = regexp.MustCompile(`["'/]?(assets/[\w.-]+\.wasm)`)

func TestPageAndWasmServedCompressed(t *testing.T) {
	// The client is embedded when the server is compiled, so this test
	// cannot build it for itself.
	for _, f := range []string{"assets/checkgrid.wasm", "assets/checkgrid.wasm.br", "assets/checkgrid.wasm.gz"} {
		if _, err := fs.Stat(checkgrid.Files(), f); err != nil {
			t.Fatalf("%s is not embedded: run `make wasm` (make test does) before `go test ./server/`", f)
		}
	}
	ts := startServer(t)
	resp, body := get(t, ts.URL+"/", "gzip, deflate, br")
	if resp.StatusCode != 200 {
		t.Fatalf("GET / = %d", resp.StatusCode)
	}
	page := decode(t, resp.Header.Get("Content-Encoding"), body)
	m := wasmRefRE.FindSubmatch(page)
	if m == nil {
		t.Fatalf("the page does not load a wasm file:\n%s", page)
	}
	wasmURL := ts.URL + "/" + string(m[1])
	for _, enc := range []string{"br", "gzip", ""} {
		accept := enc
		if enc == "" {
			accept = "identity"
		}
		resp, body := get(t, wasmURL, accept)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s (%s) = %d: build the client with `make wasm` first", wasmURL, accept, resp.StatusCode)
		}
		if got := resp.Header.Get("Content-Encoding"); got != enc {
			t.Fatalf("wasm with Accept-Encoding %q: Content-Encoding %q", accept, got)
		}
		raw := decode(t, enc, body)
		if !bytes.HasPrefix(raw, []byte("\x00asm")) {
			t.Fatalf("%s wasm does not start with the wasm magic", enc)
		}
		if n, _ := strconv.Atoi(resp.Header.Get("X-Raw-Length")); n != len(raw) {
			t.Fatalf("X-Raw-Length %d, body %d", n, len(raw))
		}
		if resp.Header.Get("Content-Type") != "application/wasm" || resp.Header.Get("ETag") == "" {
			t.Fatalf("headers %v", resp.Header)
		}
		if enc == "br" && len(body) > len(raw)/3 {
			t.Fatalf("brotli wasm is %d of %d bytes", len(body), len(raw))
		}
		// A revalidation is a 304 with no body.
		again, b := get(t, wasmURL, accept, "If-None-Match", resp.Header.Get("ETag"))
		if again.StatusCode != http.StatusNotModified || len(b) != 0 {
			t.Fatalf("revalidation = %d with %d bytes", again.StatusCode, len(b))
		}
	}
	if resp, _ := get(t, ts.URL+"/assets/nope.js", ""); resp.StatusCode != 404 {
		t.Fatalf("missing asset = %d", resp.StatusCode)
	}
}

func TestAPI(t *testing.T) {
	ts := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p := ts.dial(ctx)
	flip(t, ctx, p, 123)
	resp, body := get(t, ts.URL+"/api/stats", "")
	var st struct {
		Checked int64  `json:"checked"`
		Online  int64  `json:"online"`
		Seq     uint64 `json:"seq"`
		Toggles uint64 `json:"toggles"`
	}
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatalf("stats %s: %v", body, err)
	}
	if st.Checked != 1 || st.Online != 1 || st.Seq != p.Seq || st.Toggles != 1 {
		t.Fatalf("stats %+v", st)
	}
	// Exactly the fields PROTOCOL.md lists.
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		t.Fatal(err)
	}
	if got, want := slices.Sorted(maps.Keys(fields)), specStatsFields(t); !slices.Equal(got, want) {
		t.Fatalf("/api/stats has fields %v, PROTOCOL.md lists %v", got, want)
	}
	if resp.Header.Get("Cache-Control") != "public, max-age=1" {
		t.Fatalf("stats cache header %q", resp.Header.Get("Cache-Control"))
	}
	g, seq := ts.snapshot()
	if seq != p.Seq || !g.Get(123) || g.Count() != 1 {
		t.Fatalf("snapshot at %d with %d checked", seq, g.Count())
	}
	if resp, _ := get(t, ts.URL+"/healthz", ""); resp.StatusCode != 200 {
		t.Fatalf("healthz = %d", resp.StatusCode)
	}
}

func TestIdentitySurvivesReconnect(t *testing.T) {
	ts := startServer(t, "-rate", "0.001", "-burst", "50")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, _ := get(t, ts.URL+"/", "")
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == identity.Cookie {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly {
		t.Fatalf("no HttpOnly identity cookie issued: %v", resp.Cookies())
	}
	hdr := http.Header{"Cookie": {cookie.String()}}
	spend := func(h http.Header, base uint32) *peer.Peer {
		p, err := peer.Dial(ctx, ts.WS, peer.Options{Header: h})
		if err != nil {
			t.Fatal(err)
		}
		ch := make([]protocol.Change, 50)
		for i := range ch {
			ch[i] = protocol.Change{Index: base + uint32(i), Value: true}
		}
		if err := p.Set(ctx, ch...); err != nil {
			t.Fatal(err)
		}
		// Wait until the Set was handled: either rejected, or applied.
		for p.Frames(protocol.TypeReject) == 0 && !p.Grid.Get(base) {
			if _, err := p.Next(ctx); err != nil {
				t.Fatal(err)
			}
		}
		p.Close()
		return p
	}
	if p := spend(hdr, 0); p.Frames(protocol.TypeReject) != 0 {
		t.Fatal("first burst rejected")
	}
	// Same player, new socket: the bucket is still empty.
	if p := spend(hdr, 100); p.Frames(protocol.TypeReject) == 0 {
		t.Fatal("reconnecting with the same identity refilled the bucket")
	}
	// A forged cookie is no identity at all: a fresh per-connection bucket.
	forged := http.Header{"Cookie": {identity.Cookie + "=AAAAAAAAAAAAAAAA.forgedmac"}}
	if p := spend(forged, 200); p.Frames(protocol.TypeReject) != 0 {
		t.Fatal("forged identity shared a bucket")
	}
}

func TestOriginChecked(t *testing.T) {
	ts := startServer(t, "-origins", "play.example.org")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := peer.Dial(ctx, ts.WS, peer.Options{Header: http.Header{"Origin": {"http://evil.example"}}}); err == nil {
		t.Fatal("cross-origin WebSocket accepted")
	}
	for _, o := range []string{"http://play.example.org", ts.URL} {
		p, err := peer.Dial(ctx, ts.WS, peer.Options{Header: http.Header{"Origin": {o}}})
		if err != nil {
			t.Fatalf("origin %s refused: %v", o, err)
		}
		p.Close()
	}
}

// specStatsFields returns the field names of /api/stats's JSON in
// PROTOCOL.md's HTTP table, sorted.
func specStatsFields(t *testing.T) []string {
	t.Helper()
	doc, err := os.ReadFile("../protocol/PROTOCOL.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `GET /api/stats` \\| `200` JSON `(\\{[^`]*\\})`").FindSubmatch(doc)
	if row == nil {
		t.Fatal("PROTOCOL.md has no /api/stats row")
	}
	var names []string
	for _, m := range regexp.MustCompile(`"(\w+)":`).FindAllSubmatch(row[1], -1) {
		names = append(names, string(m[1]))
	}
	slices.Sort(names)
	return names
}

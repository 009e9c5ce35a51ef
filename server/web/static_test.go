package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/andybalholm/brotli"
)

func TestNegotiate(t *testing.T) {
	v := func(s string) variant { return variant{strings.NewReader(s), int64(len(s))} }
	all := &asset{enc: [3]variant{v("raw"), v("gz"), v("br")}}
	gzOnly := &asset{enc: [3]variant{v("raw"), v("gz"), {}}}
	for _, tc := range []struct {
		accept string
		a      *asset
		want   Encoding
	}{
		{"", all, Identity},
		{"gzip, deflate, br", all, Brotli},
		{"gzip, deflate, br", gzOnly, Gzip},
		{"gzip", all, Gzip},
		{"br;q=0, gzip", all, Gzip},
		{"BR", all, Brotli},
		{"*", all, Brotli},
		{"identity", all, Identity},
		{"gzip;q=0", gzOnly, Identity},
	} {
		if got := negotiate(tc.accept, tc.a); got != tc.want {
			t.Errorf("negotiate(%q) = %v, want %v", tc.accept, got, tc.want)
		}
	}
}

func TestStaticCompressesTextItself(t *testing.T) {
	big := make([]byte, 4096)
	for i := range big {
		big[i] = 'a' + byte(i%7)
	}
	s, err := NewStatic(fstest.MapFS{
		"index.html":     {Data: big},
		"assets/tiny.js": {Data: []byte("x")},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, accept, want string }{
		{"index.html", "gzip", "gzip"},
		{"index.html", "gzip, deflate, br", "br"},
		{"assets/tiny.js", "gzip, br", ""},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Accept-Encoding", tc.accept)
		w := httptest.NewRecorder()
		s.Serve(w, r, tc.name)
		if got := w.Header().Get("Content-Encoding"); got != tc.want {
			t.Errorf("%s (%s): Content-Encoding %q, want %q", tc.name, tc.accept, got, tc.want)
		}
		sent := w.Body.Len()
		// Whatever the encoding, the body is the file.
		var body []byte
		var err error
		switch tc.want {
		case "br":
			body, err = io.ReadAll(brotli.NewReader(w.Body))
		case "gzip":
			var zr *gzip.Reader
			if zr, err = gzip.NewReader(w.Body); err == nil {
				body, err = io.ReadAll(zr)
			}
		default:
			body = w.Body.Bytes()
		}
		want := big
		if tc.name != "index.html" {
			want = []byte("x")
		}
		if err != nil || !bytes.Equal(body, want) {
			t.Errorf("%s (%s): body %d bytes, %v; want the %d-byte file", tc.name, tc.want, len(body), err, len(want))
		}
		if cl := w.Header().Get("Content-Length"); cl != strconv.Itoa(sent) {
			t.Errorf("%s (%s): Content-Length %s for a %d-byte body", tc.name, tc.want, cl, sent)
		}
	}
}

// TestSelfBrotliConcurrent: the first requests for the page's brotli
// variant arrive together; one compresses, all get the same bytes (run
// with -race).
func TestSelfBrotliConcurrent(t *testing.T) {
	page := bytes.Repeat([]byte("<p>a million checkboxes</p>\n"), 100)
	s, err := NewStatic(fstest.MapFS{"index.html": {Data: page}})
	if err != nil {
		t.Fatal(err)
	}
	bodies := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Accept-Encoding", "br")
			w := httptest.NewRecorder()
			s.Serve(w, r, "index.html")
			bodies[i] = w.Body.Bytes()
		}()
	}
	wg.Wait()
	for i, b := range bodies {
		if !bytes.Equal(b, bodies[0]) || len(b) == 0 || len(b) >= len(page)/4 {
			t.Fatalf("response %d: %d bytes (first %d, page %d)", i, len(b), len(bodies[0]), len(page))
		}
	}
}

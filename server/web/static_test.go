package web

import (
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
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
	for _, tc := range []struct{ name, want string }{{"index.html", "gzip"}, {"assets/tiny.js", ""}} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Accept-Encoding", "gzip")
		w := httptest.NewRecorder()
		s.Serve(w, r, tc.name)
		if got := w.Header().Get("Content-Encoding"); got != tc.want {
			t.Errorf("%s: Content-Encoding %q, want %q", tc.name, got, tc.want)
		}
	}
}

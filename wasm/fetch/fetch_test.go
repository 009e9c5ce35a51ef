//go:build !js

package fetch

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestClient sends requests to a real server on loopback: the method,
// header and body arrive; the answer's status, header (any case, several
// values joined) and body come back, cut at Max with Over set.
func TestClient(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Add("X-Seq", "7")
		w.Header().Add("X-Two", "a")
		w.Header().Add("X-Two", "b")
		w.WriteHeader(http.StatusTeapot)
		io.WriteString(w, r.Method+" "+r.Header.Get("Authorization")+" "+string(b))
	}))
	defer srv.Close()
	c := Client{HTTP: srv.Client()}
	ctx := context.Background()

	want := "POST Bearer t {}"
	a, err := c.Do(ctx, Request{Method: http.MethodPost, URL: srv.URL + "/x", Header: map[string]string{"Authorization": "Bearer t"}, Body: []byte("{}"), Max: int64(len(want))})
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != http.StatusTeapot || string(a.Body) != want || a.Over || a.Get("x-seq") != "7" || a.Get("X-Two") != "a, b" {
		t.Fatalf("answer %d %q over %v, X-Seq %q, X-Two %q; want 418 %q, not over, 7, \"a, b\"", a.Status, a.Body, a.Over, a.Get("x-seq"), a.Get("X-Two"), want)
	}
	a, err = c.Do(ctx, Request{Method: http.MethodGet, URL: srv.URL, Max: 4})
	if err != nil {
		t.Fatal(err)
	}
	if string(a.Body) != "GET " || !a.Over {
		t.Fatalf("cut answer %q over %v, want \"GET \" and over", a.Body, a.Over)
	}
}

// TestClientFails: a server that is gone, a bad URL and a timeout are
// ErrFetch, and the timeout's cause is kept.
func TestClientFails(t *testing.T) {
	hold := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hold:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(hold)
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		url  string
	}{{"gone", context.Background(), gone.URL}, {"bad url", context.Background(), "http://[::1"}, {"timeout", ctx, srv.URL}} {
		_, err := Client{HTTP: srv.Client()}.Do(tc.ctx, Request{Method: http.MethodGet, URL: tc.url, Max: 1})
		if !errors.Is(err, ErrFetch) {
			t.Errorf("%s: %v, want ErrFetch", tc.name, err)
		}
		if tc.name == "timeout" && !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("timeout: %v, want context.DeadlineExceeded too", err)
		}
	}
}

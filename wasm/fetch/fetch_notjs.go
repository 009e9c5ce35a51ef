//go:build !js

package fetch

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// New returns net/http's client, each request with its answer bounded by
// timeout (http.Client.Timeout).
func New(timeout time.Duration) Doer { return Client{HTTP: &http.Client{Timeout: timeout}} }

// Client sends requests with an *http.Client.
type Client struct{ HTTP *http.Client }

// Do sends r and reads its answer up to r.Max bytes.
func (c Client) Do(ctx context.Context, r Request) (Answer, error) {
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, body)
	if err != nil {
		return Answer{}, fmt.Errorf("%w: %w", ErrFetch, err)
	}
	for k, v := range r.Header {
		req.Header.Set(k, v)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return Answer{}, fmt.Errorf("%w: %w", ErrFetch, err)
	}
	defer resp.Body.Close()
	a := Answer{Status: resp.StatusCode, Header: make(map[string]string, len(resp.Header))}
	for k, vs := range resp.Header {
		a.Header[strings.ToLower(k)] = strings.Join(vs, ", ")
	}
	a.Body, err = io.ReadAll(io.LimitReader(resp.Body, r.Max+1))
	if err != nil {
		return Answer{}, fmt.Errorf("%w: %s %s: %w", ErrFetch, r.Method, req.URL.Path, err)
	}
	if int64(len(a.Body)) > r.Max {
		a.Body, a.Over = a.Body[:r.Max], true
	}
	return a, nil
}

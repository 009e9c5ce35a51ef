package operator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"checkgrid/protocol"
	"checkgrid/wasm/fetch"
)

// Errors the console tells apart.
var (
	// ErrToken means the server refused the token (401): no console.
	ErrToken = errors.New("operator: the server refused the operator token")
	// ErrNoConsole means the listener has no admin API (404): the page was
	// opened on the public listener, which never serves one.
	ErrNoConsole = errors.New("operator: no admin API here (open the console on the admin listener)")
	// ErrRefused is any other refusal; the server's reason follows it.
	ErrRefused = errors.New("operator: refused")
)

// maxAnswer bounds an answer read into memory: a Snapshot of the whole
// grid is at most ~125 KB, a JSON answer a few KB.
const maxAnswer = 4 << 20

// Client calls the admin API at Base (http(s)://host, the page's own
// origin) with Token.
type Client struct {
	Base  string
	Token string
	HTTP  fetch.Doer // fetch.New, or fetch.Client natively
}

// Result is an action's answer: the boxes it flipped and the seq by which
// every player has been sent them (To: a rollback's target seq).
type Result struct {
	Boxes int    `json:"boxes"`
	Seq   uint64 `json:"seq"`
	To    uint64 `json:"to"`
}

// Preview is a rollback's preview: the boxes of Area whose value now
// differs from their value at seq To.
type Preview struct {
	Area  string `json:"area"`
	To    uint64 `json:"to"`
	Boxes int    `json:"boxes"`
}

// Stats is GET /api/admin/stats.
type Stats struct {
	Players     int64     `json:"players"`
	Connections int64     `json:"connections"`
	Bots        int64     `json:"bots"`
	Checked     int64     `json:"checked"`
	Seq         uint64    `json:"seq"`
	Toggles     uint64    `json:"toggles"`
	BotToggles  uint64    `json:"bot_toggles"`
	Refused     uint64    `json:"refused"`
	Fanout      Histogram `json:"fanout_seconds"`
	DiskFree    uint64    `json:"disk_free_bytes"`
	DiskSize    uint64    `json:"disk_size_bytes"`
	DataBytes   int64     `json:"data_bytes"`
}

// Histogram is a cumulative Prometheus histogram as /api/admin/stats
// answers it.
type Histogram struct {
	Bounds []float64 `json:"le"`
	Counts []uint64  `json:"counts"`
	Count  uint64    `json:"count"`
}

// Top is GET /api/admin/top.
type Top struct {
	PlayersByToggled   []Entry `json:"players_by_toggled"`
	PlayersByRefused   []Entry `json:"players_by_refused"`
	AddressesByToggled []Entry `json:"addresses_by_toggled"`
	AddressesByRefused []Entry `json:"addresses_by_refused"`
}

// Entry is one line of a top list.
type Entry struct {
	Key     string `json:"key"`
	Toggled int    `json:"toggled"`
	Refused int    `json:"refused"`
}

// Freeze is one frozen area (Area "" is the whole grid).
type Freeze struct {
	ID   uint64 `json:"id"`
	Area string `json:"area"`
}

// FormatArea is a in the API's AREA form, "x,y,w,h".
func FormatArea(a protocol.Area) string {
	return fmt.Sprintf("%d,%d,%d,%d", a.X, a.Y, a.W, a.H)
}

// when is the rollback target as query values: a seq.
func when(a protocol.Area, seq uint64) url.Values {
	return url.Values{"area": {FormatArea(a)}, "seq": {strconv.FormatUint(seq, 10)}}
}

// Stats reads the server's figures.
func (c *Client) Stats(ctx context.Context) (Stats, error) {
	var s Stats
	return s, c.call(ctx, fetch.MethodGet, "/api/admin/stats", nil, &s)
}

// Top reads the top n of each list.
func (c *Client) Top(ctx context.Context, n int) (Top, error) {
	var t Top
	return t, c.call(ctx, fetch.MethodGet, "/api/admin/top?n="+strconv.Itoa(n), nil, &t)
}

// Preview counts the boxes of a that a rollback to seq would change.
func (c *Client) Preview(ctx context.Context, a protocol.Area, seq uint64) (Preview, error) {
	var p Preview
	return p, c.call(ctx, fetch.MethodGet, "/api/admin/rollback?"+when(a, seq).Encode(), nil, &p)
}

// GridAt is the whole grid at seq, from the history API's Snapshot
// (PROTOCOL.md, "History"): the preview's "then". A Snapshot frame, not
// the admin API's area.png, because the client decodes those already and
// a PNG decoder would add some 280 KB to the WebAssembly.
func (c *Client) GridAt(ctx context.Context, seq uint64) (*protocol.Bitset, error) {
	b, err := c.do(ctx, fetch.MethodGet, "/api/history/snapshot?seq="+strconv.FormatUint(seq, 10), nil)
	if err != nil {
		return nil, err
	}
	snap, err := protocol.DecodeSnapshot(b)
	g := new(protocol.Bitset)
	if err == nil {
		err = snap.Bits(g)
	}
	if err != nil {
		return nil, fmt.Errorf("operator: the grid at seq %d: %w", seq, err)
	}
	return g, nil
}

// Rollback sets every box of a to its value at seq.
func (c *Client) Rollback(ctx context.Context, a protocol.Area, seq uint64) (Result, error) {
	var r Result
	body := map[string]any{"area": FormatArea(a), "seq": strconv.FormatUint(seq, 10)}
	return r, c.call(ctx, fetch.MethodPost, "/api/admin/rollback", body, &r)
}

// Fill checks (value true) or clears every box of a.
func (c *Client) Fill(ctx context.Context, a protocol.Area, value bool) (Result, error) {
	var r Result
	return r, c.call(ctx, fetch.MethodPost, "/api/admin/fill", map[string]any{"area": FormatArea(a), "value": value}, &r)
}

// Freeze freezes a: players' Sets inside are refused.
func (c *Client) Freeze(ctx context.Context, a protocol.Area, reason string) (Freeze, error) {
	var f Freeze
	return f, c.call(ctx, fetch.MethodPost, "/api/admin/freezes", map[string]any{"area": FormatArea(a), "reason": reason}, &f)
}

// Unfreeze lifts every freeze of exactly area a and reports how many.
func (c *Client) Unfreeze(ctx context.Context, a protocol.Area) (int, error) {
	var list struct {
		Freezes []Freeze `json:"freezes"`
	}
	if err := c.call(ctx, fetch.MethodGet, "/api/admin/freezes", nil, &list); err != nil {
		return 0, err
	}
	n, want := 0, FormatArea(a)
	for _, f := range list.Freezes {
		if f.Area != want {
			continue
		}
		if err := c.call(ctx, fetch.MethodDelete, "/api/admin/freezes/"+strconv.FormatUint(f.ID, 10), nil, nil); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// call sends a request with a JSON body (nil: none) and decodes the JSON
// answer into out (nil: ignored).
func (c *Client) call(ctx context.Context, method, path string, body, out any) error {
	b, err := c.do(ctx, method, path, body)
	if err != nil || out == nil {
		return err
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("operator: %s %s: %w", method, path, err)
	}
	return nil
}

func (c *Client) do(ctx context.Context, method, path string, body any) ([]byte, error) {
	r := fetch.Request{Method: method, URL: c.Base + path, Max: maxAnswer,
		Header: map[string]string{"Authorization": "Bearer " + c.Token}}
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		r.Body = b
		r.Header["Content-Type"] = "application/json"
	}
	a, err := c.HTTP.Do(ctx, r)
	if err != nil {
		return nil, err
	}
	switch {
	case a.Status == fetch.StatusUnauthorized:
		return nil, ErrToken
	case a.Status == fetch.StatusNotFound && path == "/api/admin/stats":
		return nil, ErrNoConsole
	case a.Status/100 != 2:
		return nil, fmt.Errorf("%w: %s %s: %d %s", ErrRefused, method, path, a.Status, strings.TrimSpace(string(a.Body)))
	}
	return a.Body, nil
}

package deeplink

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"checkgrid/protocol"
)

// Zoom bounds a link may ask for, in CSS pixels per box. Out-of-range values
// are clamped, not refused: a link that zooms too far still lands.
const (
	MinZoom = 0.05
	MaxZoom = 80
	// JumpZoom is the zoom for "#n=" links and the jump prompt: boxes big
	// enough to read and click, with context around them.
	JumpZoom = 24
)

// ErrLink means a fragment or prompt does not name a box.
var ErrLink = errors.New("deeplink: not a link to a box")

// View is where a link points: the centred box and the zoom, and the
// moment of history shown (#…&t=RFC3339).
type View struct {
	X, Y int
	Zoom float64
	// At is the moment shown, Unix seconds; 0 is live (no t= in the link).
	At int64
}

// Index is the box the view centres.
func (v View) Index() uint32 { return uint32(v.Y*protocol.GridWidth + v.X) }

// AtIndex is the view of box i at JumpZoom.
func AtIndex(i uint32) View {
	return View{X: int(i % protocol.GridWidth), Y: int(i / protocol.GridWidth), Zoom: JumpZoom}
}

// Parse reads a URL fragment, with or without its '#'. An empty fragment
// returns ErrLink, so callers can keep their default view.
func Parse(frag string) (View, error) {
	q, err := url.ParseQuery(strings.TrimPrefix(frag, "#"))
	if err != nil {
		return View{}, fmt.Errorf("%w: %v", ErrLink, err)
	}
	at, err := moment(q.Get("t"))
	if err != nil {
		return View{}, err
	}
	if n := q.Get("n"); n != "" {
		i, err := strconv.ParseUint(n, 10, 32)
		if err != nil || i >= protocol.Boxes {
			return View{}, fmt.Errorf("%w: n=%q", ErrLink, n)
		}
		v := AtIndex(uint32(i))
		v.At = at
		return v, nil
	}
	x, errX := coord(q.Get("x"), protocol.GridWidth)
	y, errY := coord(q.Get("y"), protocol.GridHeight)
	if err := errors.Join(errX, errY); err != nil {
		return View{}, err
	}
	v := View{X: x, Y: y, Zoom: JumpZoom, At: at}
	if z := q.Get("z"); z != "" {
		f, err := strconv.ParseFloat(z, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return View{}, fmt.Errorf("%w: z=%q", ErrLink, z)
		}
		v.Zoom = min(max(f, MinZoom), MaxZoom)
	}
	return v, nil
}

// moment reads t=: an RFC 3339 time after 1970 (whole seconds are kept),
// or nothing (live).
func moment(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil || t.Unix() <= 0 || t.Year() > 2261 {
		return 0, fmt.Errorf("%w: t=%q: want a time like 2025-01-02T15:04:05Z", ErrLink, s)
	}
	return t.Unix(), nil
}

func coord(s string, limit int) (int, error) {
	v, err := strconv.Atoi(s)
	if err != nil || v < 0 || v >= limit {
		return 0, fmt.Errorf("%w: coordinate %q", ErrLink, s)
	}
	return v, nil
}

// Format writes v as a fragment, '#' included. The zoom keeps three
// significant decimals: enough to restore the view, short enough to share.
func Format(v View) string {
	f := "#x=" + strconv.Itoa(v.X) + "&y=" + strconv.Itoa(v.Y) +
		"&z=" + strconv.FormatFloat(math.Round(v.Zoom*1000)/1000, 'f', -1, 64)
	if v.At != 0 {
		f += "&t=" + time.Unix(v.At, 0).UTC().Format(time.RFC3339)
	}
	return f
}

// ParseJump reads the jump prompt: a box number ("123456") or a column and
// row ("456,123", "456 123").
func ParseJump(s string) (View, error) {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, ", "); i >= 0 {
		x, errX := coord(strings.TrimSpace(s[:i]), protocol.GridWidth)
		y, errY := coord(strings.TrimSpace(s[i+1:]), protocol.GridHeight)
		if err := errors.Join(errX, errY); err != nil {
			return View{}, err
		}
		return View{X: x, Y: y, Zoom: JumpZoom}, nil
	}
	i, err := strconv.ParseUint(s, 10, 32)
	if err != nil || i >= protocol.Boxes {
		return View{}, fmt.Errorf("%w: %q", ErrLink, s)
	}
	return AtIndex(uint32(i)), nil
}

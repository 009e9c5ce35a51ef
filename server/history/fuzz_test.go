package history

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"checkgrid/protocol"
)

// FuzzNextEntry: any bytes decode to entries or a named error, never a
// panic, and what decodes re-encodes to the same bytes.
func FuzzNextEntry(f *testing.F) {
	f.Add(unhexF(vectorEntry))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		for len(b) > 0 {
			e, rest, err := NextEntry(b)
			if err != nil {
				if !errors.Is(err, ErrEntry) {
					t.Fatalf("error %v is not ErrEntry", err)
				}
				return
			}
			if got := appendEntry(nil, e.Time, e.Toggles, e.Frame); string(got) != string(b[:len(b)-len(rest)]) {
				t.Fatal("re-encoding differs")
			}
			b = rest
		}
	})
}

// FuzzQuery: any query string parses to a point or range, or to ErrQuery
// (a 400 with a reason), never a panic; a parsed range is ordered.
func FuzzQuery(f *testing.F) {
	for _, s := range []string{"seq=1", "time=2025-01-01T00:00:00Z", "from=1&to=9", "seq=1&seq=2", "from=%31&to=1", "seq=99999999999999999999", "box=4242", "box=999999", "box=1000000", "box=+1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return // net/http answers 400 before us
		}
		if _, err := parsePoint(q); err != nil && !errors.Is(err, ErrQuery) {
			t.Fatalf("point %q: %v is not ErrQuery", raw, err)
		}
		from, to, err := parseRange(q)
		if err != nil && !errors.Is(err, ErrQuery) {
			t.Fatalf("range %q: %v is not ErrQuery", raw, err)
		}
		if err == nil && (from == 0 || from > to) {
			t.Fatalf("range %q parsed to %d..%d", raw, from, to)
		}
		box, err := parseBox(q)
		if err != nil && !errors.Is(err, ErrQuery) {
			t.Fatalf("box %q: %v is not ErrQuery", raw, err)
		}
		if err == nil && (box >= protocol.Boxes || strconv.FormatUint(uint64(box), 10) != strings.TrimLeft(q.Get("box"), "0") && box != 0) {
			t.Fatalf("box %q parsed to %d", raw, box)
		}
	})
}

func unhexF(s string) []byte {
	b := make([]byte, 0, len(s)/2)
	var hi byte
	n := 0
	for _, c := range []byte(s) {
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		default:
			continue
		}
		if n%2 == 0 {
			hi = v
		} else {
			b = append(b, hi<<4|v)
		}
		n++
	}
	return b
}

// FuzzPlaybackQuery: any query string parses to a playback request inside
// its bounds or to ErrQuery, never a panic.
func FuzzPlaybackQuery(f *testing.F) {
	for _, s := range []string{"from=1&to=9&step=2", "from=1&to=9&every=90s&area=0,0,10,10", "from=1&to=9&every=1.5ms", "from=1&to=9&step=1&area=999,999,1,1", "from=1&to=9&area=1,2,3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		p, err := parsePlayback(q)
		if err != nil {
			if !errors.Is(err, ErrQuery) {
				t.Fatalf("%q: %v is not ErrQuery", raw, err)
			}
			return
		}
		if p.from >= p.to || (p.step == 0) == (p.every == 0) || p.every < 0 || p.every > maxEvery || p.area.Valid() != nil {
			t.Fatalf("%q parsed to %+v", raw, p)
		}
		_ = p.key(p.to, 1<<62)
	})
}

package protocol

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// ErrQuery means a /ws query is not '&'-separated name=value pairs (a ';'
// or a '%' not followed by two hex digits), or its area is repeated,
// malformed or not inside the grid: the server closes with CloseProtocol.
// A bad v is ErrVersion, closed with CloseVersion (QueryClose).
var ErrQuery = errors.New("protocol: bad /ws query")

// Query is what a client asks for in the /ws URL (PROTOCOL.md,
// "Connection"): the version it speaks and the area to start at. It is the
// one owner of that URL: the client, the test peers and the load generator
// build it with URL, and the server reads it with ParseQuery.
type Query struct {
	// Version: 0 when building means no v (version 1); ParseQuery always
	// gives one it speaks.
	Version uint8
	// Area to start at; the zero Area means none (the whole grid). A
	// version-1 query ignores it.
	Area Area
}

// Encode returns the query, v first: "v=2&area=x,y,w,h" ("" for the zero
// Query).
func (q Query) Encode() string {
	var s string
	if q.Version != 0 {
		s = "v=" + strconv.Itoa(int(q.Version))
	}
	if q.Area.W != 0 {
		if s != "" {
			s += "&"
		}
		s += fmt.Sprintf("area=%d,%d,%d,%d", q.Area.X, q.Area.Y, q.Area.W, q.Area.H)
	}
	return s
}

// URL returns ws (ws://host/ws, possibly with a query of its own) asking
// for q.
func (q Query) URL(ws string) string {
	e := q.Encode()
	switch {
	case e == "":
		return ws
	case strings.Contains(ws, "?"):
		return ws + "&" + e
	}
	return ws + "?" + e
}

// Speaks names the versions this package speaks, as the reason text of a
// CloseVersion says them ("this server speaks v=1 or v=2 or v=3").
func Speaks() string {
	var vs []string
	for v := MinVersion; v <= Version; v++ {
		vs = append(vs, "v="+strconv.Itoa(v))
	}
	return "this server speaks " + strings.Join(vs, " or ")
}

// ParseQuery reads a /ws URL's raw query by PROTOCOL.md's one rule: the
// query, then v (absent: 1), then area (absent: the whole grid); the first
// fault decides the error (ErrQuery or ErrVersion, see QueryClose), whose
// text is one ASCII line for a close reason. Names other than v and area
// are ignored. An area is checked in every version; version 1 then ignores
// it, as it ignores a Viewport frame.
func ParseQuery(raw string) (Query, error) {
	q := Query{Version: Version1}
	vals, err := url.ParseQuery(raw)
	if err != nil {
		// Not err's text: it quotes the raw bytes, and a close reason
		// must be UTF-8 (%+q is ASCII).
		return q, fmt.Errorf("%w: a ';' or a bad %% escape in %+.40q", ErrQuery, raw)
	}
	if vs, ok := vals["v"]; ok {
		n, ok := canonical(vs, 8)
		if !ok || n < MinVersion || n > Version {
			// The versions first: a close reason is cut to 120 bytes.
			return q, fmt.Errorf("%w; %s; asked v=%+.16q", ErrVersion, Speaks(), strings.Join(vs, "&v="))
		}
		q.Version = uint8(n)
	}
	as, ok := vals["area"]
	if !ok {
		return q, nil
	}
	a, err := queryArea(as)
	if err != nil {
		return q, err
	}
	if q.Version >= Version2 {
		q.Area = a
	}
	return q, nil
}

// QueryClose is the close code for a ParseQuery error.
func QueryClose(err error) CloseCode {
	if errors.Is(err, ErrVersion) {
		return CloseVersion
	}
	return CloseProtocol
}

// queryArea reads the values of area: exactly one, four canonical
// decimals x,y,w,h separated by commas, inside the grid.
func queryArea(as []string) (Area, error) {
	bad := fmt.Errorf("%w: area=%+.32q, want one x,y,w,h of decimals without sign or leading zero", ErrQuery, strings.Join(as, "&area="))
	if len(as) != 1 {
		return Area{}, bad
	}
	parts := strings.Split(as[0], ",")
	if len(parts) != 4 {
		return Area{}, bad
	}
	var f [4]uint16
	for i, p := range parts {
		n, ok := canonical([]string{p}, 16)
		if !ok {
			return Area{}, bad
		}
		f[i] = uint16(n)
	}
	a := Area{X: f[0], Y: f[1], W: f[2], H: f[3]}
	if err := a.Valid(); err != nil {
		return Area{}, fmt.Errorf("%w: %w", ErrQuery, err)
	}
	return a, nil
}

// canonical reads vs as one canonical decimal of at most bits bits: one
// value, ASCII digits only, no sign, space or leading zero ("0" itself is
// canonical). Canonical means it prints back as itself.
func canonical(vs []string, bits int) (int, bool) {
	if len(vs) != 1 {
		return 0, false
	}
	n, err := strconv.ParseUint(vs[0], 10, bits)
	if err != nil || strconv.FormatUint(n, 10) != vs[0] {
		return 0, false
	}
	return int(n), true
}

package web

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"checkgrid/protocol"
	"checkgrid/server/hub"
)

// What a client asks for in the /ws URL (PROTOCOL.md, "Connection": one
// rule for every query). Each error is answered after the upgrade, so that
// a browser sees the close code (it cannot read an HTTP status).
var (
	// ErrQuery means the query is not '&'-separated name=value pairs: it
	// has a ';' or a '%' not followed by two hex digits. Closed with
	// protocol.CloseProtocol.
	ErrQuery = errors.New("web: malformed query")
	// ErrVersion means v is not exactly one canonical decimal naming a
	// version this server speaks: closed with protocol.CloseVersion.
	ErrVersion = errors.New("web: unsupported protocol version")
	// ErrArea means area is repeated, malformed or not inside the grid:
	// closed with protocol.CloseProtocol.
	ErrArea = errors.New("web: bad area parameter")
)

// speaks is the end of ErrVersion's reason text: the versions this server
// speaks.
func speaks() string {
	var vs []string
	for v := protocol.MinVersion; v <= protocol.Version; v++ {
		vs = append(vs, "v="+strconv.Itoa(v))
	}
	return "this server speaks " + strings.Join(vs, " or ")
}

// viewOf reads the protocol version (absent: 1) and the starting area
// (absent: the whole grid) from a /ws URL's raw query. In that order: the
// query, then v, then area, the first fault decides the close code. Names
// other than v and area are ignored. An area is checked in every version;
// version 1 then ignores it, as it ignores a Viewport frame.
func viewOf(rawQuery string) (hub.View, error) {
	v := hub.View{Version: protocol.Version1}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		// Not err's text: it quotes the raw bytes, and a close reason
		// must be UTF-8 (%+q is ASCII).
		return v, fmt.Errorf("%w: a ';' or a bad %% escape in %+.40q", ErrQuery, rawQuery)
	}
	if vs, ok := q["v"]; ok {
		n, ok := decimal(vs, 8)
		if !ok || n < protocol.MinVersion || n > protocol.Version {
			// The versions first: ws cuts the reason to 120 bytes.
			return v, fmt.Errorf("%w; %s; asked v=%+.16q", ErrVersion, speaks(), strings.Join(vs, "&v="))
		}
		v.Version = uint8(n)
	}
	as, ok := q["area"]
	if !ok {
		return v, nil
	}
	a, err := areaOf(as)
	if err != nil {
		return v, err
	}
	if v.Version >= protocol.Version2 {
		v.Area = a
	}
	return v, nil
}

// areaOf reads the values of area: exactly one, four canonical decimals
// x,y,w,h separated by commas, inside the grid.
func areaOf(as []string) (protocol.Area, error) {
	bad := fmt.Errorf("%w: area=%+.32q, want one x,y,w,h of decimals without sign or leading zero", ErrArea, strings.Join(as, "&area="))
	if len(as) != 1 {
		return protocol.Area{}, bad
	}
	parts := strings.Split(as[0], ",")
	if len(parts) != 4 {
		return protocol.Area{}, bad
	}
	var f [4]uint16
	for i, p := range parts {
		n, ok := decimal([]string{p}, 16)
		if !ok {
			return protocol.Area{}, bad
		}
		f[i] = uint16(n)
	}
	a := protocol.Area{X: f[0], Y: f[1], W: f[2], H: f[3]}
	if err := a.Valid(); err != nil {
		return protocol.Area{}, fmt.Errorf("%w: %w", ErrArea, err)
	}
	return a, nil
}

// decimal reads vs as one canonical decimal of at most bits bits: one
// value, ASCII digits only, no sign, space or leading zero ("0" itself is
// canonical). Canonical means it prints back as itself.
func decimal(vs []string, bits int) (int, bool) {
	if len(vs) != 1 {
		return 0, false
	}
	n, err := strconv.ParseUint(vs[0], 10, bits)
	if err != nil || strconv.FormatUint(n, 10) != vs[0] {
		return 0, false
	}
	return int(n), true
}

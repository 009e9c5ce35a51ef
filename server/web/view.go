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

// What a client asks for in the /ws URL (PROTOCOL.md, "Version and change
// log" and "Connection").
var (
	// ErrVersion means ?v= names a version this server does not speak: the
	// connection is upgraded and closed with protocol.CloseVersion.
	ErrVersion = errors.New("web: unsupported protocol version")
	// ErrArea means ?area= is malformed or not inside the grid: closed
	// with protocol.CloseProtocol.
	ErrArea = errors.New("web: bad area parameter")
)

// viewOf reads the protocol version (absent: 1) and the starting area
// (version 2 only, absent: the whole grid) from a /ws URL's query.
func viewOf(q url.Values) (hub.View, error) {
	v := hub.View{Version: protocol.Version1}
	if s := q.Get("v"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < protocol.MinVersion || n > protocol.Version {
			return v, fmt.Errorf("%w: %q; this server speaks %d to %d", ErrVersion, s, protocol.MinVersion, protocol.Version)
		}
		v.Version = uint8(n)
	}
	s := q.Get("area")
	if s == "" || v.Version < protocol.Version2 {
		return v, nil
	}
	parts := strings.Split(s, ",")
	var f [4]uint16
	if len(parts) != len(f) {
		return v, fmt.Errorf("%w: %q, want x,y,w,h", ErrArea, s)
	}
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil {
			return v, fmt.Errorf("%w: %q, want x,y,w,h", ErrArea, s)
		}
		f[i] = uint16(n)
	}
	a := protocol.Area{X: f[0], Y: f[1], W: f[2], H: f[3]}
	if err := a.Valid(); err != nil {
		return v, fmt.Errorf("%w: %w", ErrArea, err)
	}
	v.Area = a
	return v, nil
}

package web

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientIP returns the client address of r: the socket's peer, or, when
// trustProxy is set (the server sits behind a proxy that overwrites the
// header), the last address in X-Forwarded-For. The last, not the first,
// because a client can put anything at the front of that header.
func clientIP(r *http.Request, trustProxy bool) (netip.Addr, bool) {
	if trustProxy {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			parts := strings.Split(xff, ",")
			if ip, err := netip.ParseAddr(strings.TrimSpace(parts[len(parts)-1])); err == nil {
				return ip.Unmap(), true
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return ip.Unmap(), true
}

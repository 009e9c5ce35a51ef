package limits

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// AddressKey returns the key the per-address limits use for ip: the address
// itself for IPv4 (a /32), the /64 prefix for IPv6, because one host
// typically owns a whole /64 and could otherwise rotate addresses freely.
func AddressKey(ip netip.Addr) netip.Prefix {
	ip = ip.Unmap()
	if ip.Is4() {
		return netip.PrefixFrom(ip, 32)
	}
	p, _ := ip.Prefix(64)
	return p
}

// ClientIP returns the client address of r: the socket's peer, or, when
// trustProxy is set (the server sits behind a proxy that overwrites the
// header), the last address in X-Forwarded-For. The last, not the first,
// because a client can put anything at the front of that header.
func ClientIP(r *http.Request, trustProxy bool) (netip.Addr, bool) {
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

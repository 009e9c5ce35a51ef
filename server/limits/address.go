package limits

import (
	"net/netip"
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

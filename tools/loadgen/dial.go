package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/coder/websocket"

	"checkgrid/protocol"
)

// DialTimeout bounds one connection's dial and upgrade; a server that
// cannot accept within it counts as a refused join, not a hang.
const DialTimeout = 15 * time.Second

// dialer spreads connections over several loopback source addresses,
// rotating, so a run can exceed one address's ephemeral port range and the
// server's per-address caps see several "households".
type dialer struct {
	sources []*net.Dialer
	clients []*http.Client // one per source, for the WebSocket upgrade
	tls     *tls.Config    // for wss:// (roots to trust); nil: the system's
}

// newDialer returns a dialer over 127.0.0.1 … 127.0.0.n. For an IPv6 or
// named target n is ignored and the kernel picks the source. roots are
// the CAs a wss:// server's certificate is checked against (nil: the
// system's).
func newDialer(n int, target string, roots *x509.CertPool) *dialer {
	d := &dialer{tls: &tls.Config{RootCAs: roots}}
	host, _, _ := net.SplitHostPort(target)
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.Is4() {
		n = 1
	}
	for i := range n {
		nd := &net.Dialer{Timeout: DialTimeout}
		if n > 1 {
			src := netip.AddrFrom4([4]byte{127, 0, 0, byte(1 + i)})
			nd.LocalAddr = &net.TCPAddr{IP: src.AsSlice()}
		}
		d.sources = append(d.sources, nd)
		d.clients = append(d.clients, &http.Client{Transport: &http.Transport{
			Proxy:           nil, // never via a proxy: loopback only
			DialContext:     nd.DialContext,
			TLSClientConfig: d.tls,
		}})
	}
	return d
}

// tcp dials target from the i-th connection's source address.
func (d *dialer) tcp(ctx context.Context, i int, target string) (net.Conn, error) {
	return d.sources[i%len(d.sources)].DialContext(ctx, "tcp", target)
}

// ws dials url from the i-th connection's source address and sets the read
// limit to the largest server frame.
func (d *dialer) ws(ctx context.Context, i int, url string) (*websocket.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, DialTimeout)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPClient: d.clients[i%len(d.clients)]})
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("%w: http %d", errRefused, resp.StatusCode)
		}
		return nil, err
	}
	c.SetReadLimit(protocol.MaxServerMessage)
	return c, nil
}

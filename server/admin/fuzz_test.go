package admin

import (
	"errors"
	"net"
	"testing"
)

// FuzzParseArea: any string parses to an area inside the grid that
// formats back to the same string (modulo leading zeros and signs, which
// parse to the same numbers), or to ErrArea; never a panic.
func FuzzParseArea(f *testing.F) {
	for _, s := range []string{"0,0,1000,1000", "1,2,3,4", "999,999,1,1", "0,0,0,1", "1000,0,1,1", "a,b,c,d", "1,2,3", "1,2,3,4,5", "", "+1,01,2,2", "65535,0,2,1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseArea(s)
		if err != nil {
			if !errors.Is(err, ErrArea) {
				t.Fatalf("%q: %v is not ErrArea", s, err)
			}
			return
		}
		if err := a.Valid(); err != nil {
			t.Fatalf("%q parsed to %v outside the grid", s, a)
		}
		if b, err := ParseArea(FormatArea(a)); err != nil || b != a {
			t.Fatalf("%q: %v formats to %q, which parses to %v, %v", s, a, FormatArea(a), b, err)
		}
	})
}

// TestHosts: the listener's own address (and localhost for loopback) and
// configured names are allowed, everything else refused.
func TestHosts(t *testing.T) {
	h := NewHosts(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9090}, []string{"Console.Internal", "ops.example:8443"})
	for host, want := range map[string]bool{
		"127.0.0.1:9090": true, "localhost:9090": true, "LOCALHOST:9090": true,
		"console.internal": true, "console.internal:1234": true, "ops.example:8443": true,
		"ops.example:9999": false, "127.0.0.1:9091": false, "127.0.0.1": false, "evil.example:9090": false,
		"": false, "localhost": false, "[::1]:9090": false,
	} {
		if got := h.allows(host); got != want {
			t.Errorf("Host %q allowed %v, want %v", host, got, want)
		}
	}
	v6 := NewHosts(&net.TCPAddr{IP: net.IPv6loopback, Port: 9090}, nil)
	if !v6.allows("[::1]:9090") || !v6.allows("localhost:9090") || v6.allows("[::2]:9090") {
		t.Error("IPv6 loopback listener's own address")
	}
}

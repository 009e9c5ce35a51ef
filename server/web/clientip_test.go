package web

import (
	"net/http"
	"testing"
)

func TestClientIP(t *testing.T) {
	r := &http.Request{RemoteAddr: "198.51.100.1:5555", Header: http.Header{"X-Forwarded-For": {"1.2.3.4, 10.0.0.9"}}}
	if ip, _ := clientIP(r, false); ip.String() != "198.51.100.1" {
		t.Fatalf("untrusted: %s", ip)
	}
	if ip, _ := clientIP(r, true); ip.String() != "10.0.0.9" {
		t.Fatalf("trusted: %s (must be the last hop, not what the client wrote)", ip)
	}
	r.Header.Set("X-Forwarded-For", "garbage")
	if ip, _ := clientIP(r, true); ip.String() != "198.51.100.1" {
		t.Fatalf("bad header: %s", ip)
	}
}

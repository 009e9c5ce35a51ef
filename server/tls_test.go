package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"checkgrid/server/certs/testcert"
	"checkgrid/server/peer"
)

// tlsFiles makes a CA and a first leaf for the loopback server, on disk.
func tlsFiles(t *testing.T) (ca *testcert.CA, certPath, keyPath string, leaf *testcert.Leaf) {
	t.Helper()
	ca, err := testcert.NewCA("checkgrid test CA")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certPath, keyPath = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	leaf = newLeaf(t, ca, "localhost", "127.0.0.1")
	if err := leaf.Write(certPath, keyPath); err != nil {
		t.Fatal(err)
	}
	return ca, certPath, keyPath, leaf
}

func newLeaf(t *testing.T, ca *testcert.CA, hosts ...string) *testcert.Leaf {
	t.Helper()
	l, err := ca.Leaf(hosts...)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// presented does a fresh TLS handshake with addr as serverName, trusting only
// pool, and returns the serial of the certificate the server presented.
func presented(t *testing.T, addr, serverName string, pool *x509.CertPool) (*big.Int, error) {
	t.Helper()
	d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: 5 * time.Second}, Config: &tls.Config{RootCAs: pool, ServerName: serverName}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return c.(*tls.Conn).ConnectionState().PeerCertificates[0].SerialNumber, nil
}

// waitServed polls handshakes until the server presents want.
func waitServed(t *testing.T, addr string, pool *x509.CertPool, want *x509.Certificate, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := presented(t, addr, "127.0.0.1", pool)
		if err == nil && got.Cmp(want.SerialNumber) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: server presents serial %v (err %v), want %v", what, got, err, want.SerialNumber)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func httpsClient(pool *x509.CertPool) *http.Client {
	return &http.Client{
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       10 * time.Second,
	}
}

// logAddr returns the addr= of the first log line with msg.
func logAddr(t *testing.T, ts *testServer, msg string) string {
	t.Helper()
	m := regexp.MustCompile(`msg="` + msg + `" addr=(\S+)`).FindStringSubmatch(ts.Logs())
	if m == nil {
		t.Fatalf("no %q line in the log:\n%s", msg, ts.Logs())
	}
	return m[1]
}

// TestTLSFromFilesReloads: the server speaks TLS from certificate files to a
// real WebSocket client, sends HSTS, redirects plain HTTP, and picks up a
// certificate swapped on disk without a restart and without dropping the
// players already connected; a broken pair is refused and the old
// certificate kept.
func TestTLSFromFilesReloads(t *testing.T) {
	ca, certPath, keyPath, leaf1 := tlsFiles(t)
	pool := ca.Pool()
	ts := startServer(t, "-tls-cert", certPath, "-tls-key", keyPath, "-tls-poll", "50ms", "-http-addr", "127.0.0.1:0")
	addr := strings.TrimPrefix(ts.URL, "https://")
	waitServed(t, addr, pool, leaf1.Cert, "first certificate")

	hc := httpsClient(pool)
	resp, err := hc.Get(ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Strict-Transport-Security") == "" || resp.Proto != "HTTP/1.1" {
		t.Fatalf("GET / over TLS: %s %s, HSTS %q", resp.Proto, resp.Status, resp.Header.Get("Strict-Transport-Security"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := peer.Dial(ctx, ts.WS, peer.Options{Client: hc})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	flip(t, ctx, p, 42)

	// Plain HTTP on -http-addr redirects to the same path over HTTPS.
	plain := logAddr(t, ts, "redirecting to https")
	resp, err = hc.Get("http://" + plain + "/some/path?x=1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	_, port, _ := net.SplitHostPort(addr)
	if want := "https://127.0.0.1:" + port + "/some/path?x=1"; resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != want {
		t.Fatalf("plain HTTP: %s to %q, want 301 to %q", resp.Status, resp.Header.Get("Location"), want)
	}

	// A renewal by another tool: new files, picked up by the watcher.
	leaf2 := newLeaf(t, ca, "localhost", "127.0.0.1")
	if err := leaf2.Write(certPath, keyPath); err != nil {
		t.Fatal(err)
	}
	waitServed(t, addr, pool, leaf2.Cert, "after the swap")
	flip(t, ctx, p, 43) // the player connected before the swap plays on

	// A half-done renewal (a new certificate with the old key) is refused.
	leaf3 := newLeaf(t, ca, "localhost", "127.0.0.1")
	if err := os.WriteFile(certPath, leaf3.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(ts.Logs(), "tls certificate reload failed") {
		if time.Now().After(deadline) {
			t.Fatalf("mismatched pair not reported:\n%s", ts.Logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
	waitServed(t, addr, pool, leaf2.Cert, "after a mismatched pair")
}

// TestTLSReloadOnSIGHUP: with polling effectively off, SIGHUP reloads.
func TestTLSReloadOnSIGHUP(t *testing.T) {
	ca, certPath, keyPath, leaf1 := tlsFiles(t)
	pool := ca.Pool()
	ts := startServer(t, "-tls-cert", certPath, "-tls-key", keyPath, "-tls-poll", "1h")
	addr := strings.TrimPrefix(ts.URL, "https://")
	waitServed(t, addr, pool, leaf1.Cert, "first certificate")
	leaf2 := newLeaf(t, ca, "localhost", "127.0.0.1")
	if err := leaf2.Write(certPath, keyPath); err != nil {
		t.Fatal(err)
	}
	ts.Hup <- syscall.SIGHUP
	waitServed(t, addr, pool, leaf2.Cert, "after SIGHUP")
}

// TestAutocertWiring checks -tls-domain without reaching a CA (there is no
// network here): a certificate placed in <data>/acme the way autocert
// caches one is what the TLS listener serves for that domain, so the
// Manager is the listener's certificate source and its cache is in the data
// directory; a name outside -tls-domain gets no certificate (and causes no
// request to the CA); the plain listener answers the HTTP-01 challenge path
// through the Manager and redirects everything else.
func TestAutocertWiring(t *testing.T) {
	ca, err := testcert.NewCA("stand-in for an ACME CA")
	if err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	cache := filepath.Join(data, acmeCacheDir)
	if err := os.MkdirAll(cache, 0o700); err != nil {
		t.Fatal(err)
	}
	leaf := newLeaf(t, ca, "play.example.test")
	if err := os.WriteFile(filepath.Join(cache, "play.example.test"), leaf.AutocertCache(), 0o600); err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, "-data", data, "-tls-domain", "play.example.test,other.example.test",
		"-http-addr", "127.0.0.1:0", "-acme-directory", "http://127.0.0.1:1/unreachable")
	addr := strings.TrimPrefix(ts.URL, "https://")

	got, err := presented(t, addr, "play.example.test", ca.Pool())
	if err != nil || got.Cmp(leaf.Cert.SerialNumber) != 0 {
		t.Fatalf("play.example.test: served serial %v (%v), want the cached %v", got, err, leaf.Cert.SerialNumber)
	}
	if _, err := presented(t, addr, "stranger.example.test", ca.Pool()); err == nil {
		t.Fatal("a name outside -tls-domain got a certificate")
	}

	plain := logAddr(t, ts, "redirecting to https")
	hc := httpsClient(nil)
	req, _ := http.NewRequest("GET", "http://"+plain+"/.well-known/acme-challenge/no-such-token", nil)
	req.Host = "play.example.test" // as the CA asks
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "acme/autocert") {
		t.Fatalf("challenge path: %s %q, want autocert's 404", resp.Status, body)
	}
	req, _ = http.NewRequest("GET", "http://"+plain+"/", nil)
	req.Host = "play.example.test"
	resp, err = hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	_, port, _ := net.SplitHostPort(addr)
	if want := "https://play.example.test:" + port + "/"; resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != want {
		t.Fatalf("plain HTTP: %s to %q, want 301 to %q", resp.Status, resp.Header.Get("Location"), want)
	}
}

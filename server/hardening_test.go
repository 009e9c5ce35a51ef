package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"checkgrid/server/history"
	"checkgrid/server/peer"

	"github.com/coder/websocket"
)

// cutOff reads from c until the server closes it, and fails unless it does
// within limit. Whatever the server says first (a 408 or 431) is returned.
func cutOff(t *testing.T, c net.Conn, limit time.Duration, what string) string {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(limit))
	b, err := io.ReadAll(c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("%s: connection still open after %v", what, limit)
	}
	return string(b)
}

func dialTCP(t *testing.T, ts *testServer) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(ts.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestListenerTimeoutsCutOffSlowAndIdleConnections: over real sockets,
// headers trickled a byte at a time (slowloris), a body trickled likewise,
// a keep-alive connection left idle, and a connection that never sends a
// byte are all closed by the server within its timeouts; an oversized
// header block gets 431.
func TestListenerTimeoutsCutOffSlowAndIdleConnections(t *testing.T) {
	ts := startServer(t, "-http-header-timeout", "300ms", "-http-read-timeout", "600ms", "-http-idle-timeout", "300ms", "-max-header-bytes", "4096")
	const limit = 5 * time.Second // far above the timeouts, far below "forever"

	t.Run("slowloris", func(t *testing.T) {
		c := dialTCP(t, ts)
		done := make(chan string, 1)
		go func() { done <- cutOff(t, c, limit, "headers trickled") }()
		req := "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + strings.Repeat("a", 200)
		for i := 0; i < len(req); i++ {
			if _, err := c.Write([]byte{req[i]}); err != nil {
				break // closed: what we want
			}
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
		select {
		case <-done:
		case <-time.After(limit):
			t.Fatal("headers trickled for the whole request: never cut off")
		}
	})
	t.Run("trickled body", func(t *testing.T) {
		c := dialTCP(t, ts)
		if _, err := io.WriteString(c, "POST /api/stats HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		done := make(chan string, 1)
		go func() { done <- cutOff(t, c, limit, "body trickled") }()
		for {
			select {
			case <-done:
				return
			case <-time.After(50 * time.Millisecond):
				if _, err := c.Write([]byte("x")); err != nil {
					<-done
					return
				}
			}
		}
	})
	t.Run("idle keep-alive", func(t *testing.T) {
		c := dialTCP(t, ts)
		if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Close {
			t.Fatalf("first request: %s, close %v; want a kept-alive 200", resp.Status, resp.Close)
		}
		_ = c.SetReadDeadline(time.Now().Add(limit))
		if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
			t.Fatalf("idle keep-alive: %v, want EOF (closed by the server)", err)
		}
	})
	t.Run("silent", func(t *testing.T) {
		cutOff(t, dialTCP(t, ts), limit, "connection that sends nothing")
	})
	t.Run("oversized headers", func(t *testing.T) {
		c := dialTCP(t, ts)
		_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: "+strings.Repeat("a", 64<<10)+"\r\n\r\n")
		if got := cutOff(t, c, limit, "oversized headers"); !strings.HasPrefix(got, "HTTP/1.1 431") {
			t.Fatalf("oversized headers: %.60q, want 431", got)
		}
	})
}

// TestHTTPConnectionCapPerAddress: one address holds at most
// -max-http-conns-per-addr TCP connections; one more is closed before it is
// read, counted, and a slot frees when a connection closes.
func TestHTTPConnectionCapPerAddress(t *testing.T) {
	ts := startServer(t, "-max-http-conns-per-addr", "4", "-admin", "127.0.0.1:0")
	admin := "http://" + logAddr(t, ts, "admin listening") // not capped: loopback, the operator's
	var held []net.Conn
	for range 4 {
		held = append(held, dialTCP(t, ts))
	}
	// A fifth is accepted by the kernel, then closed by the server.
	over := dialTCP(t, ts)
	_, _ = io.WriteString(over, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	if got := cutOff(t, over, 5*time.Second, "connection over the cap"); got != "" {
		t.Fatalf("connection over the cap was answered: %.60q", got)
	}
	resp, err := http.Get(admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `checkgrid_connections_refused_total{reason="http_address_cap"} 1`) {
		t.Fatalf("refusal not counted once:\n%s", grepLines(string(body), "refused"))
	}
	held[0].Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Get(ts.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no slot after closing a connection: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestJoinRatePerAddress: an address that opens WebSockets faster than
// -join-rate beyond -join-burst gets 429 with Retry-After before the
// upgrade (no snapshot is built for it), counted; others are unaffected in
// the server's state, and the bucket refills.
func TestJoinRatePerAddress(t *testing.T) {
	ts := startServer(t, "-join-rate", "5", "-join-burst", "3", "-metrics-on-main")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for range 3 {
		ts.dial(ctx)
	}
	_, err := peer.Dial(ctx, ts.WS, peer.Options{})
	if err == nil || !strings.Contains(err.Error(), "429") {
		t.Fatalf("fourth join at once: %v, want 429", err)
	}
	resp, err := http.Get(ts.URL + "/ws") // not an upgrade, but the rate is checked first
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ra := resp.Header.Get("Retry-After"); resp.StatusCode != http.StatusTooManyRequests || ra == "" {
		t.Fatalf("over the join rate: %s, Retry-After %q", resp.Status, ra)
	}
	if got := ts.metric(`checkgrid_connections_refused_total{reason="join_rate"}`); got != 2 {
		t.Fatalf("join_rate refusals counted %v, want 2", got)
	}
	time.Sleep(300 * time.Millisecond) // 5/s: at least one join again
	ts.dial(ctx)
}

// TestIdentityKeyOfWrongLengthRefused: the server does not start on a
// damaged identity.key, says why and what to do, and leaves the file.
func TestIdentityKeyOfWrongLengthRefused(t *testing.T) {
	data := t.TempDir()
	path := filepath.Join(data, identityKeyFile)
	if err := os.WriteFile(path, make([]byte, 17), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := parseConfig([]string{"-addr", "127.0.0.1:0", "-data", data}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = run(ctx, cfg, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "17 bytes, want 32") || !strings.Contains(err.Error(), "delete it") {
		t.Fatalf("run with a 17-byte identity.key: %v", err)
	}
	if b, _ := os.ReadFile(path); len(b) != 17 {
		t.Fatalf("identity.key replaced (%d bytes)", len(b))
	}
}

// TestAdminListenerMustBeLoopback: -admin on a reachable address is refused
// unless -admin-public says so.
func TestAdminListenerMustBeLoopback(t *testing.T) {
	env := func(string) string { return "" }
	for _, a := range []string{":9090", "0.0.0.0:9090", "[::]:9090", "192.0.2.1:9090", "example.org:9090"} {
		if _, err := parseConfig([]string{"-admin", a}, env); !errors.Is(err, errAdminExposed) {
			t.Errorf("-admin %s: %v, want errAdminExposed", a, err)
		}
		if _, err := parseConfig([]string{"-admin", a, "-admin-public"}, env); err != nil {
			t.Errorf("-admin %s -admin-public: %v", a, err)
		}
	}
	for _, a := range []string{"127.0.0.1:9090", "[::1]:9090", "localhost:9090", "127.0.0.2:0"} {
		if _, err := parseConfig([]string{"-admin", a}, env); err != nil {
			t.Errorf("-admin %s: %v", a, err)
		}
	}
}

// TestHealthzProbesDiskAtStart: restarted on a full disk, the server
// reports 503 on /healthz at once (before any player's write fails), says
// why, and turns healthy by itself once the disk has room.
func TestHealthzProbesDiskAtStart(t *testing.T) {
	mnt := mountTmpfs(t, "2m")
	data := filepath.Join(mnt, "data")
	ts := startServer(t, "-data", data)
	if !healthy(t, ts) {
		t.Fatal("not healthy on an empty disk")
	}
	ts.Stop()
	fill(t, filepath.Join(mnt, "fill"))

	ts = startServer(t, "-data", data)
	resp, err := http.Get(ts.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "durable write") {
		t.Fatalf("restarted on a full disk: /healthz %s %s", resp.Status, body)
	}
	if !strings.Contains(ts.Logs(), "storage failing at start") {
		t.Fatalf("no log line about the failed probe:\n%s", ts.Logs())
	}
	if err := os.Remove(filepath.Join(mnt, "fill")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !healthy(t, ts) {
		if time.Now().After(deadline) {
			t.Fatal("still unhealthy 10 s after the disk was freed")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestSecurityHeaders: the page carries a CSP that allows its own inline
// script by hash and WebAssembly compilation, and nothing from elsewhere;
// plain HTTP gets no HSTS. (The policy is proven in a browser by
// wasm/e2e's TestCSP.)
func TestSecurityHeaders(t *testing.T) {
	ts := startServer(t)
	for _, path := range []string{"/", "/assets/wasm_exec.js", "/api/stats"} {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self' 'wasm-unsafe-eval' 'sha256-", "frame-ancestors 'none'", "connect-src 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "'unsafe-eval'") {
			t.Errorf("%s: CSP %q allows inline code or eval", path, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" || h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: headers %v", path, h)
		}
		if h.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS over plain HTTP", path)
		}
	}
}

// TestVersionReported: /api/stats carries the version, and the
// page's footer shows it.
func TestVersionReported(t *testing.T) {
	ts := startServer(t)
	resp, err := http.Get(ts.URL + "/api/stats")
	if err != nil {
		t.Fatal(err)
	}
	var st struct{ Version string }
	err = json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if err != nil || st.Version != version() || st.Version == "" {
		t.Fatalf("/api/stats version %q (%v), want %q", st.Version, err, version())
	}
	resp, err = http.Get(ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), ">checkgrid "+version()+"</footer>") || strings.Contains(string(page), versionPlaceholder) {
		t.Fatalf("page footer does not show version %q", version())
	}
}

// closeCodeAfter upgrades a raw socket to ts, sends bad right after the
// upgrade, reads server frames until a close frame and returns its code
// (or fails if the socket ends without one, within limit).
func closeCodeAfter(t *testing.T, ts *testServer, bad []byte, limit time.Duration) int {
	t.Helper()
	c := dialTCP(t, ts)
	host := strings.TrimPrefix(ts.URL, "http://")
	req := "GET /ws HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(limit))
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	if _, err := c.Write(bad); err != nil {
		t.Fatal(err)
	}
	for {
		var h [2]byte
		if _, err := io.ReadFull(br, h[:]); err != nil {
			t.Fatalf("socket ended without a close frame: %v", err)
		}
		n := int(h[1] & 0x7f)
		switch n {
		case 126:
			var e [2]byte
			_, _ = io.ReadFull(br, e[:])
			n = int(binary.BigEndian.Uint16(e[:]))
		case 127:
			var e [8]byte
			_, _ = io.ReadFull(br, e[:])
			n = int(binary.BigEndian.Uint64(e[:]))
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(br, payload); err != nil {
			t.Fatalf("reading a server frame: %v", err)
		}
		if h[0]&0x0f == 8 {
			if n < 2 {
				t.Fatal("close frame without a code")
			}
			return int(binary.BigEndian.Uint16(payload))
		}
	}
}

// TestWebSocketFramingClosesWithTheRightCode (RFC 6455): an unmasked client
// frame and a 64-bit length with its top bit set get close 1002, and a
// header claiming 2^62 bytes gets 1009 at once, not at the ping timeout;
// each is counted, and the server goes on serving others.
func TestWebSocketFramingClosesWithTheRightCode(t *testing.T) {
	ts := startServer(t, "-metrics-on-main")
	const limit = 5 * time.Second // the ping timeout is far longer
	if got := closeCodeAfter(t, ts, []byte{0x82, 0x01, 0x00}, limit); got != 1002 {
		t.Errorf("unmasked frame: close %d, want 1002", got)
	}
	topBit := []byte{0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4}
	if got := closeCodeAfter(t, ts, topBit, limit); got != 1002 {
		t.Errorf("length with its top bit set: close %d, want 1002", got)
	}
	huge := []byte{0x82, 0xff, 0x40, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}
	if got := closeCodeAfter(t, ts, huge, limit); got != 1009 {
		t.Errorf("2^62-byte header: close %d, want 1009", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	flip(t, ctx, ts.dial(ctx), 5)
	if got := ts.metric(`checkgrid_bad_frames_total{error="websocket_framing"}`); got != 3 {
		t.Errorf("framing errors counted %v, want 3", got)
	}
}

// TestCloseCodeLabelsBounded: over real sockets, clients closing with 50
// different application codes add one metric series, not 50.
func TestCloseCodeLabelsBounded(t *testing.T) {
	ts := startServer(t, "-metrics-on-main", "-join-rate", "0", "-max-conns-per-addr", "100")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const n = 50
	for i := range n {
		p := ts.dial(ctx)
		if err := p.Conn.Close(websocket.StatusCode(3000+i), "bye"); err != nil {
			t.Fatalf("close %d: %v", 3000+i, err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for ts.metric(`checkgrid_disconnects_total{code="client_other"}`) < n {
		if time.Now().After(deadline) {
			t.Fatalf("client_other counted %v, want %d", ts.metric(`checkgrid_disconnects_total{code="client_other"}`), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	resp, err := http.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if series := grepLines(string(body), "checkgrid_disconnects_total{"); strings.Contains(series, "client_30") {
		t.Fatalf("a client-chosen code became a label:\n%s", series)
	}
}

// TestTornTailStartsNewEpoch: over real sockets and files, a restart whose
// recovery cuts a torn record at the log's end serves a new epoch (so every
// client resyncs rather than keep a record that was cut), with every
// durable change still there; a clean restart keeps the epoch.
func TestTornTailStartsNewEpoch(t *testing.T) {
	data := t.TempDir()
	ts := startServer(t, "-data", data)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p := ts.dial(ctx)
	flip(t, ctx, p, 11)
	epoch := p.Epoch
	p.Close()
	ts.Stop()

	ts = startServer(t, "-data", data)
	q := ts.dial(ctx)
	if q.Epoch != epoch || !q.Grid.Get(11) {
		t.Fatalf("clean restart: epoch %d (was %d), box 11 %v", q.Epoch, epoch, q.Grid.Get(11))
	}
	q.Close()
	ts.Stop()

	segs, _ := filepath.Glob(filepath.Join(data, "wal-*.log"))
	if len(segs) == 0 {
		t.Fatal("no log segment")
	}
	f, err := os.OpenFile(segs[len(segs)-1], os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	// The first bytes of a record: a write cut by a crash. A version-3
	// record starts with its body's length (40, a one-byte varint) and that
	// length's 16-bit check, the low half of its CRC32C (server/store's
	// doc.go); then 2 of the 40 body bytes.
	check := crc32.Checksum([]byte{40}, crc32.MakeTable(crc32.Castagnoli))
	if _, err := f.Write([]byte{40, byte(check), byte(check >> 8), 9, 9}); err != nil {
		t.Fatal(err)
	}
	f.Close()

	ts = startServer(t, "-data", data)
	q = ts.dial(ctx)
	if q.Epoch == epoch || !q.Grid.Get(11) {
		t.Fatalf("after a torn tail: epoch %d (was %d: want a new one), box 11 %v", q.Epoch, epoch, q.Grid.Get(11))
	}
	if !strings.Contains(ts.Logs(), "store: new epoch") {
		t.Fatalf("the new epoch is not logged:\n%s", ts.Logs())
	}
	// The new epoch is part of history: the extent lists both, from the
	// seq where the new one starts, and the grid before it is still served.
	var ex history.Extent
	code, _, body := hget(t, ts.URL+"/api/history")
	if err := json.Unmarshal(body, &ex); code != 200 || err != nil || len(ex.Epochs) != 2 ||
		ex.Epochs[0].Epoch != strconv.FormatUint(epoch, 10) || ex.Epochs[1].Epoch != strconv.FormatUint(q.Epoch, 10) || ex.Epochs[1].FromSeq != q.Seq {
		t.Fatalf("extent after a new epoch: %d %s (%v)", code, body, err)
	}
	code, h, _ := hget(t, fmt.Sprintf("%s/api/history/snapshot?seq=%d", ts.URL, q.Seq-1))
	if code != 200 || h.Get("X-Epoch") != strconv.FormatUint(epoch, 10) {
		t.Fatalf("grid before the new epoch: %d, epoch %s", code, h.Get("X-Epoch"))
	}
}

//go:build !js

package e2e

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"checkgrid/protocol"
)

// TestPageHonoursCloseCodes: the page reconnects after a close that allows
// it (going away) and stops, saying so, after one that forbids it
// (version: reconnecting cannot help, the page must be reloaded), as the
// desktop client does (wasm/conn). The page is served by the real server
// through a proxy whose /ws accepts and closes at once: the first
// connection with CloseGoingAway, the second with CloseVersion.
func TestPageHonoursCloseCodes(t *testing.T) {
	srv := startServer(t)
	target, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	pass := httputil.NewSingleHostReverseProxy(target)
	var dials atomic.Int32
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ws" {
			pass.ServeHTTP(w, r)
			return
		}
		code := protocol.CloseGoingAway
		if dials.Add(1) > 1 {
			code = protocol.CloseVersion
		}
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			t.Errorf("proxy: accept: %v", err)
			return
		}
		ws.Close(websocket.StatusCode(code), code.String())
	}))
	defer proxy.Close()

	p := newBrowser(t).open("page", proxy.URL+"/")
	h := p.waitHooks("the page stops after the version close", 30*time.Second, func(h hooks) bool { return h.State == "failed" })
	// Failed ends the connection's goroutine: no dial can follow.
	if n := dials.Load(); n != 2 {
		t.Fatalf("the page dialled %d times, want 2 (one reconnect after going away, none after version); hooks %+v", n, h)
	}
}

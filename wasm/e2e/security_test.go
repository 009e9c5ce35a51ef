//go:build !js

package e2e

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"checkgrid/server/certs/testcert"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// cspWatch records, from before the page's first script, every Content
// Security Policy violation the page reports, as "directive blocked-uri".
// CDP injects it outside the page's CSP.
const cspWatch = `window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.effectiveDirective + " " + e.blockedURI);
});`

// spki is Chromium's pin format for a certificate: base64 of the SHA-256 of
// its public key info.
func spki(c *x509.Certificate) string {
	sum := sha256.Sum256(c.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// TestTLSAndCSPInBrowser serves the game over TLS from a certificate made
// here, to headless Chromium that accepts exactly this test's certificates
// (pinned by public key, not by ignoring errors), and checks:
//   - the game loads, connects over wss:// and plays (a click toggles the
//     box on the server) with no CSP violation reported;
//   - an inline script injected into the page is blocked by the CSP and
//     reported;
//   - a certificate swapped on disk is served to a new browser session
//     without a restart, and the game works on it, while the first page
//     stays connected.
func TestTLSAndCSPInBrowser(t *testing.T) {
	ca, err := testcert.NewCA("checkgrid e2e CA")
	if err != nil {
		t.Fatal(err)
	}
	leaf1, err := ca.Leaf("127.0.0.1", "first.checkgrid.test")
	if err != nil {
		t.Fatal(err)
	}
	leaf2, err := ca.Leaf("127.0.0.1", "second.checkgrid.test")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certPath, keyPath := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := leaf1.Write(certPath, keyPath); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, "-tls-cert", certPath, "-tls-key", keyPath, "-tls-poll", "100ms")
	srv.URL, srv.WS = "https://"+srv.addr, "wss://"+srv.addr+"/ws"
	pool := ca.Pool()
	srv.client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 10 * time.Second}

	b := newBrowser(t, chromedp.Flag("ignore-certificate-errors-spki-list", spki(leaf1.Cert)+","+spki(leaf2.Cert)))
	p := openSecure(t, b, "tls-page", srv.URL+"/", "first.checkgrid.test")
	p.waitReady()

	// Play: click the box at the centre of a deep-linked view.
	v := browserView(300, 300, 24)
	p.setHash(v.link())
	p.waitPixels("view drawn", time.Now(), 10*time.Second, func(s shot) string {
		return s.check(v, []expect{{300, 300, lookUnchecked}, {299, 300, lookUnchecked}, {301, 300, lookUnchecked}})
	})
	before, _ := srv.snapshot()
	cx, cy := v.centre(300, 300)
	p.click(cx, cy)
	waitFlip(t, srv, before, box(300, 300))
	p.waitPixels("clicked box checked", time.Now(), 5*time.Second, func(s shot) string {
		return s.check(v, []expect{{300, 300, lookChecked}, {301, 300, lookUnchecked}})
	})
	if got := p.violations(); len(got) != 0 {
		t.Fatalf("the game reported CSP violations: %q", got)
	}

	// An injected inline script must not run, and must be reported.
	ran, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](`(() => {
  const s = document.createElement("script");
  s.textContent = "window.__injected = true";
  document.body.appendChild(s);
  return window.__injected === true;
})()`))
	if err != nil {
		t.Fatal(err)
	}
	if ran {
		t.Fatal("an injected inline script ran: the CSP does not block it")
	}
	deadline := time.Now().Add(5 * time.Second)
	for !slices.ContainsFunc(p.violations(), func(s string) bool { return strings.HasPrefix(s, "script-src") && strings.HasSuffix(s, " inline") }) {
		if time.Now().After(deadline) {
			t.Fatalf("blocked inline script not reported as a violation: %q", p.violations())
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Swap the certificate; the server picks it up by itself.
	if err := leaf2.Write(certPath, keyPath); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(10 * time.Second)
	for {
		c, err := tls.Dial("tcp", srv.addr, &tls.Config{RootCAs: pool})
		if err == nil {
			got := c.ConnectionState().PeerCertificates[0].SerialNumber
			c.Close()
			if got.Cmp(leaf2.Cert.SerialNumber) == 0 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server still presents the old certificate 10 s after the swap (err %v)", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// A new browser session (its own connections) gets the new one and plays.
	p2 := openSecure(t, b, "tls-page-2", srv.URL+"/", "second.checkgrid.test")
	p2.waitReady()
	if got := p2.violations(); len(got) != 0 {
		t.Fatalf("CSP violations after the swap: %q", got)
	}
	if h, err := p.hooks(); err != nil || h.State != "connected" {
		t.Fatalf("first page after the swap: state %q (%v), want still connected", h.State, err)
	}
}

// openSecure opens url in a new browser context (its own connection pool,
// so it makes its own TLS handshakes) with cspWatch installed, and fails
// unless the page's main response came with a certificate naming san.
func openSecure(t *testing.T, b *browser, name, url, san string) *page {
	t.Helper()
	p := &page{t: t, name: name}
	sans := make(chan []string, 1)
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext(), chromedp.WithListener(func(ev any) {
		p.listen(ev)
		if e, ok := ev.(*network.EventResponseReceived); ok && e.Type == network.ResourceTypeDocument && e.Response.SecurityDetails != nil {
			select {
			case sans <- e.Response.SecurityDetails.SanList:
			default:
			}
		}
	}))
	p.ctx = ctx
	t.Cleanup(func() {
		if t.Failed() {
			p.saveFailure()
		}
		cancel()
	})
	p.opened = time.Now()
	err := chromedp.Do(ctx,
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			if _, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{}); err != nil {
				return err
			}
			_, err := cdp.Call(ctx, tg, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: cspWatch})
			return err
		}),
		chromedp.EmulateViewport(screenW, screenH, chromedp.EmulateScale(1)),
		chromedp.Navigate(url),
	)
	if err != nil {
		t.Fatalf("%s: opening %s: %v", name, url, err)
	}
	select {
	case got := <-sans:
		if !slices.Contains(got, san) {
			t.Fatalf("%s: page served with a certificate for %q, want one naming %s", name, got, san)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: no TLS details for the page's response", name)
	}
	return p
}

// violations returns the CSP violations the page has reported so far.
func (p *page) violations() []string {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[[]string](`window.__cspViolations || ["cspWatch not installed"]`))
	if err != nil {
		p.t.Fatalf("%s: reading CSP violations: %v", p.name, err)
	}
	return v
}

package web

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"regexp"
	"strings"
)

// hstsMaxAge is two years, what hstspreload.org asks for; without
// includeSubDomains, because the operator's other subdomains are not ours
// to pin to HTTPS.
const hstsMaxAge = "max-age=63072000"

// inlineRE finds the page's inline <script> and <style> elements (a
// <script> with a src attribute loads a file and is allowed by 'self').
// The page is our own embedded file, so a regular expression over it is
// enough: it is not parsing untrusted HTML.
var inlineRE = regexp.MustCompile(`(?s)<(script|style)(\s[^>]*)?>(.*?)</(?:script|style)>`)

// ContentSecurityPolicy returns the policy for page, allowing exactly what
// it needs: its own inline scripts and styles by hash (so any other inline
// code, an injected one included, is refused), scripts, images, fetches and
// the WebSocket from its own origin, and compiling WebAssembly
// ('wasm-unsafe-eval', which allows WebAssembly.instantiate but not eval).
// Nothing else: no plugins, no frames (it may not be framed either, against
// clickjacking), no forms, no <base>.
func ContentSecurityPolicy(page []byte) string {
	var scripts, styles []string
	for _, m := range inlineRE.FindAllSubmatch(page, -1) {
		kind, attrs, body := string(m[1]), string(m[2]), m[3]
		if kind == "script" && strings.Contains(attrs, "src=") {
			continue
		}
		sum := sha256.Sum256(body)
		h := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
		if kind == "script" {
			scripts = append(scripts, h)
		} else {
			styles = append(styles, h)
		}
	}
	directive := func(name string, sources ...string) string {
		if len(sources) == 0 {
			sources = []string{"'none'"}
		}
		return name + " " + strings.Join(sources, " ")
	}
	return strings.Join([]string{
		directive("default-src"),
		directive("script-src", append([]string{"'self'", "'wasm-unsafe-eval'"}, scripts...)...),
		directive("style-src", styles...),
		directive("img-src", "'self'"),
		// 'self' covers ws: and wss: to the same host (CSP Level 3).
		directive("connect-src", "'self'"),
		directive("base-uri"),
		directive("form-action"),
		directive("frame-ancestors"),
	}, "; ")
}

// secureHeaders sets the security headers on every response of next: the
// page's CSP (harmless on other types, and it covers an asset opened
// directly), no MIME sniffing, no Referer to other sites, no framing, and
// HSTS on TLS connections.
func secureHeaders(next http.Handler, csp string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer") // the page links nowhere; fetches are same-origin
		h.Set("X-Frame-Options", "DENY")        // frame-ancestors for browsers without CSP 2
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", hstsMaxAge)
		}
		next.ServeHTTP(w, r)
	})
}

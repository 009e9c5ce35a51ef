// Package fetch is the client's HTTP requests (the history API for the
// time machine, the admin API for the operator console): one request, its
// answer's body read whole up to a bound.
//
// Entry points: New returns the Doer the game uses (each request bounded
// by a timeout); Client wraps an *http.Client (the desktop, and tests
// against a real server); Doer.Do sends a Request and returns an Answer.
//
// Files: fetch.go holds what both builds share; fetch_notjs.go is
// net/http's client; fetch_js.go (GOOS=js) calls the page's fetch through
// syscall/js, aborted (AbortController) when the context ends.
//
// Why not net/http in the browser too: its Client reaches the page's fetch
// through its Transport, and linking the Transport links the path a page
// never takes as well (dialing, crypto/tls, HTTP/2, x509, math/big); and a
// signature that names *http.Request or *http.Response in an interface
// the game holds keeps every exported method of those types (multipart
// forms, TLS state), because the wasm links reflect's method lookup
// (text/template, in Ebiten). Together 6.6 MB of the wasm raw, 1.1 MB
// brotli (BENCHMARKS.md, Client). So Request and Answer are this
// package's own, and nothing of net/http's client is linked in the page.
//
// No goroutines of its own (in the page, fetch's promises call back on
// the wasm's event loop); the caller runs each request on its own
// goroutine.
package fetch

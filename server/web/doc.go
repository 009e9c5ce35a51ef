// Package web is the server's HTTP face: the page and its assets
// (precompressed, negotiated, with ETags), the WebSocket endpoint, the JSON
// and binary API, and the admin endpoints.
//
// Entry points: NewStatic indexes the embedded files once (Stamp writes
// the version into the page); New returns the public handler (/, /assets/,
// /ws, /api/stats, /api/snapshot, /api/grid.png (gridimage.go: the
// whole grid as an image and the landing place, for the page's first
// frame), /healthz), every response carrying the
// security headers of headers.go (a Content-Security-Policy derived from
// the page's own inline code, nosniff, no referrer, no framing, HSTS over
// TLS); Admin returns the operator's handler (/metrics, /debug/pprof/);
// RedirectHTTPS serves a TLS server's plain-HTTP port; Timeouts.Server
// builds every listener's http.Server with header, read, write and idle
// timeouts and a header size limit.
//
// /ws refuses, before the upgrade, an address over its connection cap
// (limits.Conns, 503) or over its join rate (429 with Retry-After), so a
// flood of joins from one address costs no snapshots.
//
// Handlers are safe for concurrent use. /ws hands each accepted connection
// to hub.Hub.Go and returns, so the request is not kept alive.
package web

// Package web is the server's HTTP face: the page and its assets
// (precompressed, negotiated, with ETags), the WebSocket endpoint, the JSON
// and binary API, and the admin endpoints.
//
// Entry points: NewStatic indexes the embedded files once; New returns the
// public handler (/, /assets/, /ws, /api/stats, /api/snapshot, /healthz);
// Admin returns the operator's handler (/metrics, /debug/pprof/).
//
// Handlers are safe for concurrent use. /ws hands each accepted connection
// to hub.Hub.Go and returns, so the request is not kept alive.
package web

package web

import (
	"log/slog"
	"net/http"
	"time"
)

// Timeouts bound how long one HTTP connection may hold the server's
// resources without making progress, on every listener.
type Timeouts struct {
	// Header is the time to read a request's headers (slowloris: headers
	// trickled a byte at a time).
	Header time.Duration
	// Read is the time to read a whole request, body included (every route
	// is a GET, so a trickled body is an attack). A hijacked WebSocket has
	// its deadlines cleared and is timed by the hub instead.
	Read time.Duration
	// Write is the time to write a response, from the end of reading the
	// request: long enough for the wasm (~3 MB compressed) over a slow
	// mobile link (3 min at 20 KB/s), short enough that a reader that never reads lets go.
	Write time.Duration
	// Idle is how long a keep-alive connection may wait for its next
	// request.
	Idle time.Duration
	// MaxHeaderBytes caps a request's header block (net/http answers 431
	// beyond it). The page needs a cookie of ~40 bytes.
	MaxHeaderBytes int
}

// Default timeouts. Header and Idle are short because a browser sends its
// headers in one packet and reopens a connection in one round trip; Write
// allows the 3 MB wasm at 20 KB/s.
const (
	DefaultHeaderTimeout  = 10 * time.Second
	DefaultReadTimeout    = 20 * time.Second
	DefaultWriteTimeout   = 3 * time.Minute
	DefaultIdleTimeout    = 30 * time.Second
	DefaultMaxHeaderBytes = 16 << 10
)

// Server returns an http.Server for h with t applied, logging its errors
// (TLS handshake failures, panics) to logger at Warn.
func (t Timeouts) Server(h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: t.Header,
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
		MaxHeaderBytes:    t.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

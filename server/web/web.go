package web

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"strconv"
	"sync/atomic"

	"checkgrid/server/hub"
	"checkgrid/server/identity"
	"checkgrid/server/limits"
	"checkgrid/server/metrics"
	"checkgrid/server/wsconn"
)

// Config wires the public handler.
type Config struct {
	Static     *Static
	Hub        *hub.Hub
	Identity   *identity.Identity
	Conns      *limits.Conns
	Metrics    *metrics.Metrics
	Logger     *slog.Logger
	TrustProxy bool     // take the client address from X-Forwarded-For
	Origins    []string // extra allowed WebSocket origins (the host itself always is)
	// MetricsOnMain also serves /metrics on the public listener.
	MetricsOnMain bool
}

type server struct {
	Config
	connID atomic.Uint64
}

// New returns the public handler.
func New(cfg Config) http.Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &server{Config: cfg}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.index)
	mux.HandleFunc("GET /assets/{file...}", s.assets)
	mux.HandleFunc("GET /ws", s.ws)
	mux.HandleFunc("GET /api/stats", s.stats)
	mux.HandleFunc("GET /api/snapshot", s.snapshot)
	mux.HandleFunc("GET /healthz", s.healthz)
	if cfg.MetricsOnMain {
		mux.Handle("GET /metrics", cfg.Metrics.Handler())
	}
	return mux
}

// Admin returns the operator's handler: Prometheus metrics and pprof.
func Admin(m *metrics.Metrics) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// index serves the page and gives a first-time player a signed identity.
func (s *server) index(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.player(r); !ok {
		secure := r.TLS != nil || (s.TrustProxy && r.Header.Get("X-Forwarded-Proto") == "https")
		http.SetCookie(w, &http.Cookie{
			Name: identity.Cookie, Value: s.Identity.Issue(), Path: "/",
			MaxAge: 400 * 24 * 3600, HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode,
		})
	}
	s.Static.Serve(w, r, "index.html")
}

func (s *server) assets(w http.ResponseWriter, r *http.Request) {
	s.Static.Serve(w, r, "assets/"+r.PathValue("file"))
}

// player returns the verified player ID from the request's cookie.
func (s *server) player(r *http.Request) (string, bool) {
	ck, err := r.Cookie(identity.Cookie)
	if err != nil {
		return "", false
	}
	id, err := s.Identity.Verify(ck.Value)
	return id, err == nil
}

func (s *server) ws(w http.ResponseWriter, r *http.Request) {
	ip, ok := clientIP(r, s.TrustProxy)
	if !ok {
		s.Metrics.Refused.WithLabelValues("bad_address").Inc()
		http.Error(w, "cannot tell your address", http.StatusBadRequest)
		return
	}
	key := limits.AddressKey(ip)
	if err := s.Conns.Acquire(key); err != nil {
		reason := "total_cap"
		if errors.Is(err, limits.ErrTooManyAddress) {
			reason = "address_cap"
		}
		s.Metrics.Refused.WithLabelValues(reason).Inc()
		w.Header().Set("Retry-After", "10")
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	conn, err := wsconn.Accept(w, r, wsconn.Options{Origins: s.Origins})
	if err != nil {
		// Accept has written the HTTP error (bad origin, not a WebSocket).
		s.Metrics.Refused.WithLabelValues("handshake").Inc()
		s.Conns.Release(key)
		return
	}
	player, ok := s.player(r)
	if !ok {
		// No signed identity (native client or cookies off): the player
		// limit is per connection; the address limit still holds.
		player = "conn:" + strconv.FormatUint(s.connID.Add(1), 10)
	}
	s.Hub.Go(conn, player, key, func() { s.Conns.Release(key) })
}

func (s *server) stats(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=1")
	_ = json.NewEncoder(w).Encode(s.Hub.Stats())
}

func (s *server) snapshot(w http.ResponseWriter, r *http.Request) {
	snap, err := s.Hub.Snapshot(r.Context())
	if err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Cache-Control", "public, max-age=1")
	h.Set("X-Seq", strconv.FormatUint(snap.Seq, 10))
	h.Set("X-Epoch", strconv.FormatUint(snap.Epoch, 10))
	h.Set("Content-Length", strconv.Itoa(len(snap.Frame)))
	_, _ = w.Write(snap.Frame)
}

func (s *server) healthz(w http.ResponseWriter, r *http.Request) {
	st := s.Hub.Stats()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if !st.StorageOK {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": st.StorageOK, "seq": st.Seq, "online": st.Online})
}

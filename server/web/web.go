package web

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"net/netip"
	"strconv"
	"sync/atomic"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/bots"
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
	// Poller reads waiting WebSockets without a goroutine each (nil: they
	// wait in a goroutine of their own).
	Poller *wsconn.Poller
	// MetricsOnMain also serves /metrics on the public listener.
	MetricsOnMain bool
	// Version is the server's build version, in /api/stats.
	Version string
	// JoinRate bounds how fast one address may open WebSockets (each join
	// costs a snapshot); zero Per means unlimited.
	JoinRate limits.Rate
	// Storage, if set, is checked by /healthz besides the hub's storage
	// state: the data directory's durable write at start (store.Probe),
	// which a restart on a full disk fails before any Delta has.
	Storage interface{ Check() error }
	// History, if set, serves /api/history and /api/history/… (the kept
	// history, server/history); without it they answer 501.
	History http.Handler
	// Bots, if set, takes bot tokens on /ws (bot.go); without it a bot
	// token is refused.
	Bots *bots.Registry
}

type server struct {
	Config
	connID    atomic.Uint64
	joins     *limits.Buckets[netip.Prefix]
	lastSweep atomic.Int64 // unix nanos of the joins' last Sweep
}

// joinSweep is how often the join buckets of quiet addresses are
// forgotten: often enough that a scan of a million addresses stays
// bounded, rarely enough that it costs nothing per join.
const joinSweep = time.Minute

// New returns the public handler.
func New(cfg Config) http.Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &server{Config: cfg}
	if cfg.JoinRate.Per > 0 {
		s.joins = limits.NewBuckets[netip.Prefix](cfg.JoinRate)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.index)
	mux.HandleFunc("GET /assets/{file...}", s.assets)
	mux.HandleFunc("GET /ws", s.ws)
	mux.HandleFunc("GET /api/stats", s.stats)
	mux.HandleFunc("GET /api/snapshot", s.snapshot)
	mux.Handle("GET /api/grid.png", newGridImage(cfg.Hub)) // gridimage.go
	mux.HandleFunc("GET /healthz", s.healthz)
	history := cfg.History
	if history == nil {
		history = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "history is not served by this server (cluster mode)", http.StatusNotImplemented)
		})
	}
	mux.Handle("GET /api/history", history)
	mux.Handle("GET /api/history/", history)
	if cfg.MetricsOnMain {
		mux.Handle("GET /metrics", cfg.Metrics.Handler())
	}
	return secureHeaders(mux, ContentSecurityPolicy(cfg.Static.Bytes("index.html")))
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
	lane, err := s.botLane(r)
	if err != nil {
		s.refuseBot(w, err)
		return
	}
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
	// After the cap, so that connections it refuses cost no join.
	if retry, ok := s.join(key); !ok {
		s.Conns.Release(key)
		s.Metrics.Refused.WithLabelValues("join_rate").Inc()
		w.Header().Set("Retry-After", strconv.Itoa(int(max(retry.Round(time.Second), time.Second)/time.Second)))
		http.Error(w, "too many connections from your address, slow down", http.StatusTooManyRequests)
		return
	}
	conn, err := wsconn.Accept(w, r, wsconn.Options{Origins: s.Origins, Poller: s.Poller})
	if err != nil {
		// Accept has written the HTTP error (bad origin, not a WebSocket).
		s.Metrics.Refused.WithLabelValues("handshake").Inc()
		s.Conns.Release(key)
		return
	}
	q, err := protocol.ParseQuery(r.URL.RawQuery)
	if err != nil {
		// After the upgrade, so that a browser sees why (PROTOCOL.md).
		code := protocol.QueryClose(err)
		s.Metrics.Refused.WithLabelValues(code.String()).Inc()
		why := err.Error()
		if len(why) > 120 { // a close reason has at most 123 bytes (RFC 6455 §5.5)
			why = why[:120]
		}
		_ = conn.Close(code, why)
		s.Conns.Release(key)
		return
	}
	player, ok := s.player(r)
	if !ok {
		// No signed identity (native client or cookies off): the player
		// limit is per connection; the address limit still holds.
		player = "conn:" + strconv.FormatUint(s.connID.Add(1), 10)
	}
	adm := hub.Admission{Version: q.Version, Area: q.Area}
	if lane != nil {
		player, adm.Lane = lane.Key(), lane // its own quota, counted apart
	}
	s.Hub.Go(conn, player, key, adm, func() { s.Conns.Release(key) })
}

// join takes one join from key's bucket, or says how long until one is
// free.
func (s *server) join(key netip.Prefix) (retry time.Duration, ok bool) {
	if s.joins == nil {
		return 0, true
	}
	now := time.Now()
	if last := s.lastSweep.Load(); now.UnixNano()-last > int64(joinSweep) && s.lastSweep.CompareAndSwap(last, now.UnixNano()) {
		s.joins.Sweep(now.Add(-joinSweep))
	}
	granted, retry := s.joins.Take(key, 1, now)
	return retry, granted == 1
}

func (s *server) stats(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=1")
	_ = json.NewEncoder(w).Encode(struct {
		hub.Stats
		Version string `json:"version"`
	}{s.Hub.Stats(), s.Version})
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
	ok := st.StorageOK
	body := map[string]any{"seq": st.Seq, "online": st.Online}
	if s.Storage != nil {
		if err := s.Storage.Check(); err != nil {
			ok = false
			body["storage"] = err.Error()
		}
	}
	body["ok"] = ok
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if !ok {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_ = json.NewEncoder(w).Encode(body)
}

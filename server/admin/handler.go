package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/bots"
	"checkgrid/server/metrics"
	"checkgrid/server/moderation"
	"checkgrid/server/store"
	"checkgrid/server/tally"
)

// Hub is what the admin API needs of the game: its sequencer
// (server/pipeline.Sequencer).
type Hub interface {
	Impose(ctx context.Context, a protocol.Area, want func(i uint32) bool) (flipped int, seq uint64, err error)
	Box(i uint32) bool
}

// History is the kept history (store.History) rollback reads from.
type History interface {
	GridAt(seq uint64) (*store.State, int64, error)
	SeqAt(unixNano int64) (uint64, error)
}

// Config wires the admin API.
type Config struct {
	Token   Token
	Hub     Hub
	History History           // nil: rollback answers 501
	Rules   *moderation.Rules // freezes and bans; nil: 501
	// Board keeps and sends announcements; nil: 501.
	Board Board
	// Bots issues and revokes bot tokens; nil: 501.
	Bots *bots.Registry
	// Tally keeps the top lists; nil: 501.
	Tally *tally.Tally
	// TopNode, in cluster mode, names this node: its top lists count its
	// own players only, and the answer says so.
	TopNode string
	Audit   *Audit
	Logger  *slog.Logger
	Metrics *metrics.Metrics // admin_refused_total, admin_actions_total
	// Rate is the API's rate limit, requests a second (bursts of four
	// times as many); 0 is DefaultRate.
	Rate float64
	// Data is the data directory whose size /api/admin/stats reports
	// ("": not reported).
	Data string
}

// Request-body bound: every admin body is a small JSON object.
const maxBody = 4 << 10

// maxOperatorName bounds the X-Checkgrid-Operator name kept in the log.
const maxOperatorName = 64

type api struct {
	Config
	guard *guard
	// act serializes the actions that change anything, so that each one's
	// count, seq and audit line describe it alone.
	act sync.Mutex
}

// New returns the admin API's handler: the /api/admin/ routes, each behind
// the rate limit and the token (PROTOCOL.md, "Operator API"). Mount it on
// the admin listener only, behind CheckHost.
func New(cfg Config) http.Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	a := &api{Config: cfg}
	a.guard = newGuard(cfg.Token, cfg.Rate, func(why string) { cfg.Metrics.AdminRefused.WithLabelValues(why).Inc() })
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/admin/fill", a.fill)
	mux.HandleFunc("GET /api/admin/rollback", a.previewRollback)
	mux.HandleFunc("POST /api/admin/rollback", a.rollback)
	mux.HandleFunc("GET /api/admin/area.png", a.areaImage)
	mux.HandleFunc("GET /api/admin/freezes", a.listRules)
	mux.HandleFunc("POST /api/admin/freezes", a.freeze)
	mux.HandleFunc("DELETE /api/admin/freezes/{id}", a.unfreeze)
	mux.HandleFunc("GET /api/admin/bans", a.listRules)
	mux.HandleFunc("POST /api/admin/bans", a.ban)
	mux.HandleFunc("DELETE /api/admin/bans/{id}", a.unban)
	mux.HandleFunc("GET /api/admin/announce", a.current)
	mux.HandleFunc("POST /api/admin/announce", a.announce)
	mux.HandleFunc("DELETE /api/admin/announce", a.withdraw)
	mux.HandleFunc("GET /api/admin/bots", a.listBots)
	mux.HandleFunc("POST /api/admin/bots", a.issueBot)
	mux.HandleFunc("DELETE /api/admin/bots/{id}", a.revokeBot)
	mux.HandleFunc("GET /api/admin/top", a.top)
	mux.HandleFunc("GET /api/admin/stats", a.stats)
	mux.HandleFunc("/api/admin/", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no such admin endpoint", http.StatusNotFound)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if !a.guard.check(w, r) {
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// who names the operator behind r for the audit log.
func who(r *http.Request) string {
	name := r.Header.Get(HeaderOperator)
	name = strings.Map(func(c rune) rune {
		if c < 0x20 || c == 0x7f {
			return -1
		}
		return c
	}, name)
	if len(name) > maxOperatorName {
		name = name[:maxOperatorName]
	}
	if name == "" {
		name = "operator"
	}
	return name + "@" + r.RemoteAddr
}

// decode reads r's JSON body into v, refusing unknown fields and more than
// maxBody bytes.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	d := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("%w: %w", ErrBody, err)
	}
	if d.More() {
		return fmt.Errorf("%w: more than one JSON value", ErrBody)
	}
	return nil
}

// Request errors, each a 4xx with its reason.
var (
	ErrBody   = errors.New("admin: bad request body")
	ErrTarget = errors.New("admin: give exactly one of seq and time")
	ErrNoPast = errors.New("admin: history is not served here")
)

// status maps an error to its HTTP status.
func status(err error) int {
	switch {
	case errors.Is(err, ErrBody), errors.Is(err, ErrArea), errors.Is(err, ErrTarget):
		return http.StatusBadRequest
	case errors.Is(err, store.ErrNotKept):
		return http.StatusNotFound
	case errors.Is(err, ErrNoPast):
		return http.StatusNotImplemented
	}
	return http.StatusServiceUnavailable
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// Result is the answer to an action that changed boxes.
type Result struct {
	Boxes int    `json:"boxes"` // boxes flipped
	Seq   uint64 `json:"seq"`   // a seq by which every player has been sent them
}

// record writes e to the audit log and answers: the action's result, or
// its error. An action whose audit line cannot be written still happened;
// the answer says so (500) rather than hide it.
func (a *api) record(w http.ResponseWriter, e Entry, err error, res any) {
	if err != nil {
		e.Error = err.Error()
	}
	if aerr := a.Audit.Record(e); aerr != nil {
		a.Logger.Error("audit log", "err", aerr, "action", e.Action, "who", e.Who)
		http.Error(w, fmt.Sprintf("done (%d boxes, seq %d) but not written to the audit log: %v", e.Boxes, e.Seq, aerr), http.StatusInternalServerError)
		return
	}
	a.Metrics.AdminActions.WithLabelValues(e.Action).Inc()
	a.Logger.Info("admin", "action", e.Action, "who", e.Who, "area", e.Area, "boxes", e.Boxes, "seq", e.Seq, "detail", e.Detail, "err", err)
	if err != nil {
		http.Error(w, err.Error(), status(err))
		return
	}
	reply(w, res)
}

// fill checks (value true) or clears every box of an area.
func (a *api) fill(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Area  string `json:"area"`
		Value *bool  `json:"value"`
	}
	if err := decode(w, r, &body); err != nil {
		http.Error(w, err.Error(), status(err))
		return
	}
	area, err := ParseArea(body.Area)
	if err == nil && body.Value == nil {
		err = fmt.Errorf("%w: value (true: check, false: clear) is required", ErrBody)
	}
	if err != nil {
		http.Error(w, err.Error(), status(err))
		return
	}
	v := *body.Value
	action := "clear"
	if v {
		action = "fill"
	}
	a.act.Lock()
	defer a.act.Unlock()
	n, seq, err := a.Hub.Impose(r.Context(), area, func(uint32) bool { return v })
	a.record(w, Entry{Time: time.Now().UTC(), Who: who(r), Action: action, Area: FormatArea(area), Boxes: n, Seq: seq}, err, Result{n, seq})
}

// target reads the moment to roll back to: seq=N or time=RFC 3339.
func (a *api) target(seqS, timeS string) (uint64, error) {
	if a.History == nil {
		return 0, ErrNoPast
	}
	switch {
	case seqS != "" && timeS == "":
		seq, err := strconv.ParseUint(seqS, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%w: seq %q is not a decimal number", ErrTarget, seqS)
		}
		return seq, nil
	case timeS != "" && seqS == "":
		t, err := time.Parse(time.RFC3339Nano, timeS)
		if err != nil {
			return 0, fmt.Errorf("%w: time %q is not RFC 3339", ErrTarget, timeS)
		}
		return a.History.SeqAt(t.UnixNano())
	}
	return 0, ErrTarget
}

// then returns the grid at seq.
func (a *api) then(seq uint64) (*protocol.Bitset, error) {
	st, _, err := a.History.GridAt(seq)
	if err != nil {
		return nil, err
	}
	return &st.Grid, nil
}

// Preview is the answer to a rollback preview.
type Preview struct {
	Area  string `json:"area"`
	To    uint64 `json:"to"`    // the seq rolled back to
	Boxes int    `json:"boxes"` // boxes whose value differs now from then
}

func (a *api) previewRollback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	area, err := ParseArea(q.Get("area"))
	var to uint64
	var g *protocol.Bitset
	if err == nil {
		to, err = a.target(q.Get("seq"), q.Get("time"))
	}
	if err == nil {
		g, err = a.then(to)
	}
	if err != nil {
		http.Error(w, err.Error(), status(err))
		return
	}
	n := 0
	eachBox(area, func(i uint32) {
		if a.Hub.Box(i) != g.Get(i) {
			n++
		}
	})
	reply(w, Preview{Area: FormatArea(area), To: to, Boxes: n})
}

// RollbackResult is the answer to a rollback.
type RollbackResult struct {
	Result
	To uint64 `json:"to"`
}

func (a *api) rollback(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Area string `json:"area"`
		Seq  string `json:"seq"`
		Time string `json:"time"`
	}
	if err := decode(w, r, &body); err != nil {
		http.Error(w, err.Error(), status(err))
		return
	}
	area, err := ParseArea(body.Area)
	var to uint64
	var g *protocol.Bitset
	if err == nil {
		to, err = a.target(body.Seq, body.Time)
	}
	if err == nil {
		g, err = a.then(to)
	}
	if err != nil {
		http.Error(w, err.Error(), status(err))
		return
	}
	a.act.Lock()
	defer a.act.Unlock()
	n, seq, err := a.Hub.Impose(r.Context(), area, g.Get)
	a.record(w, Entry{Time: time.Now().UTC(), Who: who(r), Action: "rollback", Area: FormatArea(area), Boxes: n, Seq: seq,
		Detail: "to seq " + strconv.FormatUint(to, 10)}, err, RollbackResult{Result{n, seq}, to})
}

// areaImage renders an area now (no seq or time) or at a past moment.
func (a *api) areaImage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	area, err := ParseArea(q.Get("area"))
	if err != nil {
		http.Error(w, err.Error(), status(err))
		return
	}
	checked := a.Hub.Box
	if q.Get("seq") != "" || q.Get("time") != "" {
		to, err := a.target(q.Get("seq"), q.Get("time"))
		var g *protocol.Bitset
		if err == nil {
			g, err = a.then(to)
		}
		if err != nil {
			http.Error(w, err.Error(), status(err))
			return
		}
		checked = g.Get
		w.Header().Set("X-Seq", strconv.FormatUint(to, 10))
	}
	b, err := areaPNG(area, checked)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	_, _ = w.Write(b)
}

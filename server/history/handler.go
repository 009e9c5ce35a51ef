package history

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/store"
)

// Bounds of the API. Every answer is bounded in size and in work.
const (
	// MaxPageBytes bounds one /api/history/deltas answer: a larger range
	// is paged (X-Next-Seq). 1 MiB is a few minutes of a busy grid.
	MaxPageBytes = 1 << 20
	// maxConcurrent history computations (a keyframe read plus up to 2 MiB
	// of replay, a few ms each): the game's tick loop shares these 2 cores.
	maxConcurrent = 2
	// cacheImmutable is the Cache-Control of an answer about a closed
	// part of history: it can never change.
	cacheImmutable = "public, max-age=31536000, immutable"
	// cacheLive is the Cache-Control of an answer about the moving end.
	cacheLive = "public, max-age=1"
)

// Limits are the history bounds the server runs with, reported in the
// extent.
type Limits struct {
	MaxBytes   int64
	MaxAge     time.Duration
	MaxRecords int64 // cluster mode: the stream's message bound
}

// Handler serves the history API (PROTOCOL.md, History) from h.
type Handler struct {
	h      Source
	limits Limits
	log    *slog.Logger
	sem    chan struct{}
	mux    *http.ServeMux
	boxes  boxIndex // /api/history/box (boxes.go)
}

// NewHandler returns the handler for /api/history and /api/history/….
func NewHandler(h Source, limits Limits, logger *slog.Logger) *Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Handler{h: h, limits: limits, log: logger, sem: make(chan struct{}, maxConcurrent), mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /api/history", s.extent)
	s.mux.HandleFunc("GET /api/history/snapshot", s.snapshot)
	s.mux.HandleFunc("GET /api/history/deltas", s.deltas)
	s.mux.HandleFunc("GET /api/history/grid.png", s.png)
	s.mux.HandleFunc("GET /api/history/playback", s.playback)
	s.mux.HandleFunc("GET /api/history/box", s.box)
	s.mux.HandleFunc("/api/history/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		http.Error(w, "no such history request: see PROTOCOL.md, History", http.StatusNotFound)
	})
	return s
}

func (s *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// fail answers err with its status and reason.
func (s *Handler) fail(w http.ResponseWriter, err error) {
	w.Header().Set("Cache-Control", "no-store")
	switch {
	case errors.Is(err, ErrQuery):
		http.Error(w, err.Error(), http.StatusBadRequest)
	case errors.Is(err, store.ErrNotKept):
		http.Error(w, err.Error(), http.StatusNotFound)
	case errors.Is(err, errBusy), errors.Is(err, ErrNotReady), errors.Is(err, ErrIndexing):
		w.Header().Set("Retry-After", "1")
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
	default:
		s.log.Error("history request", "err", err)
		http.Error(w, "history: reading the stored history failed", http.StatusInternalServerError)
	}
}

var errBusy = errors.New("history: request cancelled while waiting for a turn")

// work runs f when one of maxConcurrent turns is free.
func (s *Handler) work(r *http.Request, f func() error) error {
	select {
	case s.sem <- struct{}{}:
	case <-r.Context().Done():
		return errBusy
	}
	defer func() { <-s.sem }()
	return f()
}

// Extent is the /api/history answer.
type Extent struct {
	FirstSeq   uint64       `json:"first_seq"`
	FirstTime  *time.Time   `json:"first_time"` // null if unknown
	LastSeq    uint64       `json:"last_seq"`
	LastTime   *time.Time   `json:"last_time"`
	Epochs     []EpochSpan  `json:"epochs"`
	Keyframes  int          `json:"keyframes"`
	Chain      string       `json:"chain"`       // hex, the chain at last_seq
	FirstChain string       `json:"first_chain"` // hex, the chain at first_seq ("" if that keyframe predates the chain)
	Dropped    DroppedNotes `json:"dropped"`
	MaxBytes   int64        `json:"max_bytes"`       // 0: kept forever
	MaxAge     float64      `json:"max_age_seconds"` // 0: kept forever
	MaxRecords int64        `json:"max_records"`     // 0: kept forever (always 0 in single mode)
}

// EpochSpan says from which keyframe on an epoch holds: records after
// FromSeq step the chain with it, until the next span.
type EpochSpan struct {
	Epoch   string `json:"epoch"` // decimal string: it does not fit a JSON number
	FromSeq uint64 `json:"from_seq"`
}

// DroppedNotes is what the server dropped since it started to stay within
// its limits.
type DroppedNotes struct {
	Keyframes int    `json:"keyframes"`
	Segments  int    `json:"segments"`
	Bytes     int64  `json:"bytes"`
	Reason    string `json:"reason"`
}

func stamp(ns int64) *time.Time {
	if ns == 0 {
		return nil
	}
	t := time.Unix(0, ns).UTC()
	return &t
}

// singleEpoch is a Source whose records all belong to one epoch (a
// cluster's): its extent reads the first keyframe only, not every one
// (a cluster's keyframes are fetched from its bucket, whole).
type singleEpoch interface{ SingleEpoch() }

// BuildExtent reads the extent of h.
func BuildExtent(h Source, limits Limits) (Extent, error) {
	hd, err := h.Head()
	if err != nil {
		return Extent{}, err
	}
	keys, err := h.Keyframes(hd.Seq)
	if err != nil {
		return Extent{}, err
	}
	ex := Extent{LastSeq: hd.Seq, LastTime: stamp(hd.Time), Chain: hex.EncodeToString(hd.Chain[:]), Keyframes: len(keys),
		Dropped:  DroppedNotes{hd.Dropped.Keyframes, hd.Dropped.Segments, hd.Dropped.Bytes, hd.Dropped.Reason},
		MaxBytes: limits.MaxBytes, MaxAge: limits.MaxAge.Seconds(), MaxRecords: limits.MaxRecords, Epochs: []EpochSpan{}}
	_, single := h.(singleEpoch)
	for i, k := range keys {
		if k > hd.Seq || (i > 0 && single) {
			break
		}
		kf, err := h.Keyframe(k)
		if err != nil {
			return Extent{}, err
		}
		if i == 0 {
			ex.FirstSeq, ex.FirstTime = k, stamp(kf.Time)
			if kf.Chained {
				ex.FirstChain = hex.EncodeToString(kf.Chain[:])
			}
		}
		e := strconv.FormatUint(kf.Epoch, 10)
		if n := len(ex.Epochs); n == 0 || ex.Epochs[n-1].Epoch != e {
			ex.Epochs = append(ex.Epochs, EpochSpan{Epoch: e, FromSeq: k})
		}
	}
	return ex, nil
}

func (s *Handler) extent(w http.ResponseWriter, r *http.Request) {
	if err := only(r.URL.Query()); err != nil {
		s.fail(w, err)
		return
	}
	ex, err := BuildExtent(s.h, s.limits)
	if err != nil {
		s.fail(w, err)
		return
	}
	w.Header().Set("Cache-Control", cacheLive)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(ex)
}

// resolve turns a point into a seq; closed says the answer can never
// change (a time before the last commit's).
func (s *Handler) resolve(p point) (seq uint64, closed bool, err error) {
	hd, err := s.h.Head()
	if err != nil {
		return 0, false, err
	}
	if !p.byTime {
		return p.seq, true, nil
	}
	ns := p.time.UnixNano()
	seq, err = s.h.SeqAt(ns)
	return seq, ns < hd.Time, err
}

// gridAt parses the request's point and returns the state there, and the
// hash chain there if chain is not nil (set only where the chain reaches).
func (s *Handler) gridAt(r *http.Request, chain *string) (st *store.State, at int64, closed bool, err error) {
	p, err := parsePoint(r.URL.Query())
	if err != nil {
		return nil, 0, false, err
	}
	err = s.work(r, func() error {
		seq, c, err := s.resolve(p)
		if err != nil {
			return err
		}
		closed = c
		if st, at, err = s.h.GridAt(seq); err != nil || chain == nil {
			return err
		}
		ch, chained, err := s.h.ChainAt(seq)
		if chained {
			*chain = hex.EncodeToString(ch[:])
		}
		return err
	})
	return st, at, closed, err
}

func (s *Handler) snapshot(w http.ResponseWriter, r *http.Request) {
	var chain string
	st, at, closed, err := s.gridAt(r, &chain)
	if err != nil {
		s.fail(w, err)
		return
	}
	body := protocol.AppendSnapshot(nil, st.Epoch, st.Seq, &st.Grid)
	s.headers(w, st, at)
	if chain != "" {
		w.Header().Set("X-Chain", chain)
	}
	serve(w, r, "application/octet-stream", body, closed)
}

func (s *Handler) headers(w http.ResponseWriter, st *store.State, at int64) {
	w.Header().Set("X-Epoch", strconv.FormatUint(st.Epoch, 10))
	w.Header().Set("X-Seq", strconv.FormatUint(st.Seq, 10))
	w.Header().Set("X-Toggles", strconv.FormatUint(st.Toggles, 10))
	if at != 0 {
		w.Header().Set("X-Time", time.Unix(0, at).UTC().Format(time.RFC3339Nano))
	}
}

// serve writes body with a strong ETag of its content; closed answers are
// immutable. If-None-Match and Range are served by http.ServeContent.
func serve(w http.ResponseWriter, r *http.Request, ctype string, body []byte, closed bool) {
	sum := sha256.Sum256(body)
	w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:16])+`"`)
	w.Header().Set("Content-Type", ctype)
	if closed {
		w.Header().Set("Cache-Control", cacheImmutable)
	} else {
		w.Header().Set("Cache-Control", cacheLive)
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

func (s *Handler) deltas(w http.ResponseWriter, r *http.Request) {
	from, to, err := parseRange(r.URL.Query())
	if err != nil {
		s.fail(w, err)
		return
	}
	var body []byte
	last := uint64(0)
	err = s.work(r, func() error {
		return s.h.Records(from, to, func(rec store.Record) error {
			if len(body)+entryHeader+len(rec.Frame) > MaxPageBytes && last != 0 {
				return store.ErrStop
			}
			body = appendEntry(body, rec.Time, rec.Toggles, rec.Frame)
			last = rec.Seq
			return nil
		})
	})
	if err != nil {
		s.fail(w, err)
		return
	}
	w.Header().Set("X-First-Seq", strconv.FormatUint(from, 10))
	w.Header().Set("X-Last-Seq", strconv.FormatUint(last, 10))
	if last < to {
		w.Header().Set("X-Next-Seq", strconv.FormatUint(last+1, 10))
	}
	// A range that Records could serve is closed: to ≤ the head.
	serve(w, r, "application/octet-stream", body, true)
}

// palette: box checked = black, unchecked = white.
var palette = color.Palette{color.Gray{Y: 255}, color.Gray{Y: 0}}

func (s *Handler) png(w http.ResponseWriter, r *http.Request) {
	st, at, closed, err := s.gridAt(r, nil)
	if err != nil {
		s.fail(w, err)
		return
	}
	img := image.NewPaletted(image.Rect(0, 0, protocol.GridWidth, protocol.GridHeight), palette)
	for i := range uint32(protocol.Boxes) {
		if st.Grid.Get(i) {
			img.Pix[i] = 1
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		s.fail(w, fmt.Errorf("history: png: %w", err))
		return
	}
	s.headers(w, st, at)
	serve(w, r, "image/png", buf.Bytes(), closed)
}

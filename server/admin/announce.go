package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"checkgrid/protocol"
)

// Announcer is what announcements need of the hub (server/hub.Hub):
// PROTOCOL.md, Announce.
type Announcer interface {
	Announce(ctx context.Context, a protocol.Announce, until time.Time) error
}

// Announcement bounds: what the API takes for "for".
const (
	// DefaultAnnounceFor is how long an announcement stays up when the
	// operator does not say: long enough to be read by everyone playing
	// now, short enough that a forgotten one goes by itself.
	DefaultAnnounceFor = time.Hour
	minAnnounceFor     = time.Second
	maxAnnounceFor     = protocol.MaxAnnounceTTL * time.Second
)

// ErrNoAnnouncer means this server does not announce (cluster mode);
// ErrNoAnnouncement that none is up.
var (
	ErrNoAnnouncer     = errors.New("admin: announcements are not served here (cluster mode)")
	ErrNoAnnouncement  = errors.New("admin: no announcement is up")
	ErrAnnouncementArg = errors.New("admin: bad announcement")
)

// Announcement is the one up, as the API answers it.
type Announcement struct {
	ID    uint32    `json:"id"`
	Text  string    `json:"text"`
	Until time.Time `json:"until"`
}

// board keeps the announcement that is up and numbers new ones.
type board struct {
	mu   sync.Mutex
	cur  Announcement // zero ID: none
	last uint32
}

// nextID is larger than any id before it, across restarts too (it is at
// least the Unix time in seconds), so a client's memory of a dismissed id
// never hides a new announcement.
func (b *board) nextID(now time.Time) uint32 {
	b.last = max(b.last+1, uint32(now.Unix()))
	return b.last
}

func announceStatus(err error) int {
	switch {
	case errors.Is(err, ErrBody), errors.Is(err, ErrAnnouncementArg), errors.Is(err, protocol.ErrField):
		return http.StatusBadRequest
	case errors.Is(err, ErrNoAnnouncement):
		return http.StatusNotFound
	case errors.Is(err, ErrNoAnnouncer):
		return http.StatusNotImplemented
	}
	return http.StatusServiceUnavailable
}

// current answers the announcement that is up (404 if none).
func (a *api) current(w http.ResponseWriter, r *http.Request) {
	if a.Announcer == nil {
		http.Error(w, ErrNoAnnouncer.Error(), announceStatus(ErrNoAnnouncer))
		return
	}
	a.board.mu.Lock()
	cur := a.board.cur
	a.board.mu.Unlock()
	if cur.ID == 0 || !time.Now().Before(cur.Until) {
		http.Error(w, ErrNoAnnouncement.Error(), announceStatus(ErrNoAnnouncement))
		return
	}
	reply(w, cur)
}

// announce puts an announcement up for every player.
func (a *api) announce(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Text string `json:"text"`
		For  string `json:"for"`
	}
	err := decode(w, r, &body)
	if err == nil && a.Announcer == nil {
		err = ErrNoAnnouncer
	}
	d := DefaultAnnounceFor
	if err == nil && body.For != "" {
		d, err = time.ParseDuration(body.For)
		if err != nil || d < minAnnounceFor || d > maxAnnounceFor {
			err = fmt.Errorf("%w: for %q, want a duration from 1s to 168h (e.g. \"10m\")", ErrAnnouncementArg, body.For)
		}
	}
	if err == nil && body.Text == "" {
		err = fmt.Errorf("%w: text is required", ErrAnnouncementArg)
	}
	if err == nil {
		if cerr := (protocol.Announce{ID: 1, TTL: 1, Text: body.Text}).Check(); cerr != nil {
			err = fmt.Errorf("%w: text: at most %d bytes of UTF-8, one paragraph without control characters (%w)", ErrAnnouncementArg, protocol.MaxAnnounceText, cerr)
		}
	}
	if err != nil {
		http.Error(w, err.Error(), announceStatus(err))
		return
	}
	a.act.Lock()
	defer a.act.Unlock()
	now := time.Now()
	a.board.mu.Lock()
	id := a.board.nextID(now)
	a.board.mu.Unlock()
	ann := Announcement{ID: id, Text: body.Text, Until: now.Add(d).UTC().Truncate(time.Second)}
	err = a.Announcer.Announce(r.Context(), protocol.Announce{ID: id, Text: body.Text}, ann.Until)
	if err == nil {
		a.board.mu.Lock()
		a.board.cur = ann
		a.board.mu.Unlock()
	}
	a.recordWith(w, Entry{Time: now.UTC(), Who: who(r), Action: "announce", Detail: "id " + strconv.FormatUint(uint64(id), 10) + " for " + d.String() + ": " + body.Text}, err, ann, announceStatus)
}

// withdraw takes the announcement that is up down.
func (a *api) withdraw(w http.ResponseWriter, r *http.Request) {
	if a.Announcer == nil {
		http.Error(w, ErrNoAnnouncer.Error(), announceStatus(ErrNoAnnouncer))
		return
	}
	a.act.Lock()
	defer a.act.Unlock()
	a.board.mu.Lock()
	cur := a.board.cur
	a.board.mu.Unlock()
	if cur.ID == 0 || !time.Now().Before(cur.Until) {
		http.Error(w, ErrNoAnnouncement.Error(), announceStatus(ErrNoAnnouncement))
		return
	}
	err := a.Announcer.Announce(r.Context(), protocol.Announce{ID: cur.ID}, time.Time{})
	if err == nil {
		a.board.mu.Lock()
		a.board.cur = Announcement{}
		a.board.mu.Unlock()
	}
	a.recordWith(w, Entry{Time: time.Now().UTC(), Who: who(r), Action: "unannounce", Detail: "id " + strconv.FormatUint(uint64(cur.ID), 10)}, err, cur, announceStatus)
}

// recordWith is record for actions that change no box, with their own
// error statuses.
func (a *api) recordWith(w http.ResponseWriter, e Entry, err error, res any, status func(error) int) {
	if err != nil {
		e.Error = err.Error()
	}
	if aerr := a.Audit.Record(e); aerr != nil {
		a.Logger.Error("audit log", "err", aerr, "action", e.Action, "who", e.Who)
		http.Error(w, fmt.Sprintf("done but not written to the audit log: %v", aerr), http.StatusInternalServerError)
		return
	}
	a.Metrics.AdminActions.WithLabelValues(e.Action).Inc()
	a.Logger.Info("admin", "action", e.Action, "who", e.Who, "detail", e.Detail, "err", err)
	if err != nil {
		http.Error(w, err.Error(), status(err))
		return
	}
	reply(w, res)
}

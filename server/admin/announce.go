package admin

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/announce"
)

// Board keeps the announcement that is up (server/announce.Board: a
// file in the single process, a KV key shared by every node in a
// cluster) and shows it to players.
type Board interface {
	Current(now time.Time) (announce.Record, error)
	Post(text string, now, until time.Time) (announce.Record, error)
	Withdraw(now time.Time) (announce.Record, error)
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

// ErrNoAnnouncer means this server has no announcement board;
// ErrAnnouncementArg a bad request.
var (
	ErrNoAnnouncer     = errors.New("admin: announcements are not served here")
	ErrAnnouncementArg = errors.New("admin: bad announcement")
)

// Announcement is the one up, as the API answers it.
type Announcement struct {
	ID    uint32    `json:"id"`
	Text  string    `json:"text"`
	Until time.Time `json:"until"`
}

func toAnnouncement(r announce.Record) Announcement {
	return Announcement{ID: r.ID, Text: r.Text, Until: r.Until}
}

func announceStatus(err error) int {
	switch {
	case errors.Is(err, ErrBody), errors.Is(err, ErrAnnouncementArg), errors.Is(err, protocol.ErrField):
		return http.StatusBadRequest
	case errors.Is(err, announce.ErrNone):
		return http.StatusNotFound
	case errors.Is(err, ErrNoAnnouncer):
		return http.StatusNotImplemented
	}
	return http.StatusServiceUnavailable
}

// current answers the announcement that is up (404 if none).
func (a *api) current(w http.ResponseWriter, r *http.Request) {
	if a.Board == nil {
		http.Error(w, ErrNoAnnouncer.Error(), announceStatus(ErrNoAnnouncer))
		return
	}
	cur, err := a.Board.Current(time.Now())
	if err != nil {
		http.Error(w, err.Error(), announceStatus(err))
		return
	}
	reply(w, toAnnouncement(cur))
}

// announce puts an announcement up for every player.
func (a *api) announce(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Text string `json:"text"`
		For  string `json:"for"`
	}
	err := decode(w, r, &body)
	if err == nil && a.Board == nil {
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
	rec, err := a.Board.Post(body.Text, now, now.Add(d))
	a.recordWith(w, Entry{Time: now.UTC(), Who: who(r), Action: "announce", Detail: "id " + strconv.FormatUint(uint64(rec.ID), 10) + " for " + d.String() + ": " + body.Text}, err, toAnnouncement(rec), announceStatus)
}

// withdraw takes the announcement that is up down.
func (a *api) withdraw(w http.ResponseWriter, r *http.Request) {
	if a.Board == nil {
		http.Error(w, ErrNoAnnouncer.Error(), announceStatus(ErrNoAnnouncer))
		return
	}
	a.act.Lock()
	defer a.act.Unlock()
	was, err := a.Board.Withdraw(time.Now())
	if errors.Is(err, announce.ErrNone) {
		http.Error(w, err.Error(), announceStatus(err))
		return
	}
	a.recordWith(w, Entry{Time: time.Now().UTC(), Who: who(r), Action: "unannounce", Detail: "id " + strconv.FormatUint(uint64(was.ID), 10)}, err, toAnnouncement(was), announceStatus)
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

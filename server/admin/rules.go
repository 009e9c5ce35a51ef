package admin

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/moderation"
)

// ErrNoRules means this server keeps no moderation rules.
var ErrNoRules = errors.New("admin: freezes and bans are not served here")

// rulesStatus maps the rules' errors to HTTP statuses.
func rulesStatus(err error) int {
	switch {
	case errors.Is(err, moderation.ErrRule), errors.Is(err, ErrBody), errors.Is(err, ErrArea):
		return http.StatusBadRequest
	case errors.Is(err, moderation.ErrUnknown):
		return http.StatusNotFound
	case errors.Is(err, ErrNoRules):
		return http.StatusNotImplemented
	}
	return http.StatusInternalServerError
}

func (a *api) listRules(w http.ResponseWriter, r *http.Request) {
	if a.Rules == nil {
		http.Error(w, ErrNoRules.Error(), rulesStatus(ErrNoRules))
		return
	}
	reply(w, a.Rules.List(time.Now()))
}

// freeze freezes an area, or the whole grid ("area": "" or absent).
func (a *api) freeze(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Area   string `json:"area"`
		Reason string `json:"reason"`
	}
	err := decode(w, r, &body)
	var area protocol.Area
	if err == nil && a.Rules == nil {
		err = ErrNoRules
	}
	if err == nil && body.Area != "" {
		area, err = ParseArea(body.Area)
	}
	if err != nil {
		http.Error(w, err.Error(), rulesStatus(err))
		return
	}
	by := who(r)
	f, err := a.Rules.Freeze(area, body.Area == "", body.Reason, by, time.Now())
	boxes := protocol.Boxes
	if body.Area != "" {
		boxes = area.Boxes()
	}
	e := Entry{Time: time.Now().UTC(), Who: by, Action: "freeze", Area: f.Area, Boxes: boxes, Detail: "id " + strconv.FormatUint(f.ID, 10) + " " + body.Reason}
	a.recordRule(w, e, err, f)
}

func (a *api) unfreeze(w http.ResponseWriter, r *http.Request) {
	id, err := a.ruleID(r)
	var f moderation.Freeze
	if err == nil {
		f, err = a.Rules.Unfreeze(id, time.Now())
	}
	if errors.Is(err, moderation.ErrUnknown) || errors.Is(err, ErrBody) || errors.Is(err, ErrNoRules) {
		http.Error(w, err.Error(), rulesStatus(err))
		return
	}
	a.recordRule(w, Entry{Time: time.Now().UTC(), Who: who(r), Action: "unfreeze", Area: f.Area, Detail: "id " + strconv.FormatUint(id, 10)}, err, f)
}

// ruleID reads the {id} of a DELETE.
func (a *api) ruleID(r *http.Request) (uint64, error) {
	if a.Rules == nil {
		return 0, ErrNoRules
	}
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: rule id %q is not a decimal number", ErrBody, r.PathValue("id"))
	}
	return id, nil
}

// ban bans a player or an address prefix, for a duration ("for", Go
// syntax: 90m, 24h) or until a time ("until", RFC 3339), or with no
// expiry.
func (a *api) ban(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Player string `json:"player"`
		Prefix string `json:"prefix"`
		For    string `json:"for"`
		Until  string `json:"until"`
		Reason string `json:"reason"`
	}
	err := decode(w, r, &body)
	if err == nil && a.Rules == nil {
		err = ErrNoRules
	}
	now := time.Now()
	b := moderation.Ban{Player: body.Player, Prefix: body.Prefix, Reason: body.Reason, By: who(r)}
	if err == nil {
		b.Until, err = expiry(body.For, body.Until, now)
	}
	if err != nil {
		http.Error(w, err.Error(), rulesStatus(err))
		return
	}
	b, err = a.Rules.Ban(b, now)
	if errors.Is(err, moderation.ErrRule) {
		http.Error(w, err.Error(), rulesStatus(err))
		return
	}
	what := "player " + b.Player
	if b.Prefix != "" {
		what = "prefix " + b.Prefix
	}
	until := "no expiry"
	if b.Until != nil {
		until = "until " + b.Until.UTC().Format(time.RFC3339)
	}
	a.recordRule(w, Entry{Time: now.UTC(), Who: b.By, Action: "ban",
		Detail: fmt.Sprintf("id %d %s %s: %s", b.ID, what, until, b.Reason)}, err, b)
}

// expiry reads a ban's "for" or "until"; neither is no expiry.
func expiry(forS, untilS string, now time.Time) (*time.Time, error) {
	switch {
	case forS != "" && untilS != "":
		return nil, fmt.Errorf("%w: give at most one of for and until", ErrBody)
	case forS != "":
		d, err := time.ParseDuration(forS)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("%w: for %q is not a positive duration (90m, 24h)", ErrBody, forS)
		}
		t := now.Add(d).UTC()
		return &t, nil
	case untilS != "":
		t, err := time.Parse(time.RFC3339Nano, untilS)
		if err != nil {
			return nil, fmt.Errorf("%w: until %q is not RFC 3339", ErrBody, untilS)
		}
		return &t, nil
	}
	return nil, nil
}

func (a *api) unban(w http.ResponseWriter, r *http.Request) {
	id, err := a.ruleID(r)
	var b moderation.Ban
	if err == nil {
		b, err = a.Rules.Unban(id, time.Now())
	}
	if errors.Is(err, moderation.ErrUnknown) || errors.Is(err, ErrBody) || errors.Is(err, ErrNoRules) {
		http.Error(w, err.Error(), rulesStatus(err))
		return
	}
	a.recordRule(w, Entry{Time: time.Now().UTC(), Who: who(r), Action: "unban", Detail: "id " + strconv.FormatUint(id, 10) + " " + b.Player + b.Prefix}, err, b)
}

// recordRule audits a rule change (also a failed one: the file could not
// be written) and answers.
func (a *api) recordRule(w http.ResponseWriter, e Entry, err error, res any) {
	if err != nil {
		e.Error = err.Error()
	}
	if aerr := a.Audit.Record(e); aerr != nil {
		a.Logger.Error("audit log", "err", aerr, "action", e.Action, "who", e.Who)
		http.Error(w, fmt.Sprintf("%s done but not written to the audit log: %v", e.Action, aerr), http.StatusInternalServerError)
		return
	}
	a.Metrics.AdminActions.WithLabelValues(e.Action).Inc()
	a.Logger.Info("admin", "action", e.Action, "who", e.Who, "area", e.Area, "detail", e.Detail, "err", err)
	if err != nil {
		http.Error(w, err.Error(), rulesStatus(err))
		return
	}
	reply(w, res)
}

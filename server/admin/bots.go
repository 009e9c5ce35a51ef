package admin

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"checkgrid/server/bots"
)

// ErrNoBots means this server issues no bot tokens.
var ErrNoBots = errors.New("admin: bot tokens are not served here")

func botsStatus(err error) int {
	switch {
	case errors.Is(err, bots.ErrBad), errors.Is(err, ErrBody):
		return http.StatusBadRequest
	case errors.Is(err, bots.ErrUnknown):
		return http.StatusNotFound
	case errors.Is(err, ErrNoBots):
		return http.StatusNotImplemented
	}
	return http.StatusInternalServerError
}

// BotList is the answer to GET /api/admin/bots.
type BotList struct {
	Tokens []bots.Token `json:"tokens"`
}

// Issued is the answer to an issue: the token's record and, this once,
// the token itself.
type Issued struct {
	bots.Token
	Secret string `json:"token"`
}

// Revoked is the answer to a revocation.
type Revoked struct {
	bots.Token
	Cut int `json:"cut"` // open connections ended
}

func (a *api) listBots(w http.ResponseWriter, r *http.Request) {
	if a.Bots == nil {
		http.Error(w, ErrNoBots.Error(), botsStatus(ErrNoBots))
		return
	}
	reply(w, BotList{a.Bots.List()})
}

// issueBot issues a token: {"name", "rate", "burst"} (0 or absent: a
// player's budget).
func (a *api) issueBot(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name  string `json:"name"`
		Rate  int    `json:"rate"`
		Burst int    `json:"burst"`
	}
	err := decode(w, r, &body)
	if err == nil && a.Bots == nil {
		err = ErrNoBots
	}
	if err != nil {
		http.Error(w, err.Error(), botsStatus(err))
		return
	}
	by := who(r)
	t, secret, err := a.Bots.Issue(body.Name, body.Rate, body.Burst, by, time.Now())
	if errors.Is(err, bots.ErrBad) {
		http.Error(w, err.Error(), botsStatus(err))
		return
	}
	e := Entry{Time: time.Now().UTC(), Who: by, Action: "bot_issue",
		Detail: fmt.Sprintf("id %d %q, %d boxes/s, burst %d", t.ID, t.Name, t.Rate, t.Burst)}
	a.recordWith(w, e, err, Issued{t, secret}, botsStatus)
}

func (a *api) revokeBot(w http.ResponseWriter, r *http.Request) {
	if a.Bots == nil {
		http.Error(w, ErrNoBots.Error(), botsStatus(ErrNoBots))
		return
	}
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil {
		err = fmt.Errorf("%w: token id %q is not a decimal number", ErrBody, r.PathValue("id"))
		http.Error(w, err.Error(), botsStatus(err))
		return
	}
	t, cut, err := a.Bots.Revoke(id, time.Now())
	if errors.Is(err, bots.ErrUnknown) {
		http.Error(w, err.Error(), botsStatus(err))
		return
	}
	e := Entry{Time: time.Now().UTC(), Who: who(r), Action: "bot_revoke",
		Detail: fmt.Sprintf("id %d %q, %d connections cut", id, t.Name, cut)}
	a.recordWith(w, e, err, Revoked{t, cut}, botsStatus)
}

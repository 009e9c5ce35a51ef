package web

import (
	"errors"
	"net/http"
	"strings"

	"checkgrid/server/bots"
)

// The bot lane (PROTOCOL.md, "Bots"): a program connects to /ws with
// "Authorization: Bearer <bot token>" and plays through the same protocol
// on its token's own quota. A browser cannot put that header on a
// WebSocket, so a page cannot borrow a token. A bad token is refused
// before the upgrade with 401 and the reason as text: a program reads
// HTTP statuses, and an upgrade it could not use would only hide why.

// ErrNoBots means this server issues no bot tokens.
var ErrNoBots = errors.New("web: this server issues no bot tokens")

// botLane returns the lane of the request's bot token, nil if it carries
// none (no Authorization, or a scheme other than Bearer: a site behind a
// proxy's Basic authentication), or why the token is refused.
func (s *server) botLane(r *http.Request) (*bots.Lane, error) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return nil, nil
	}
	if s.Bots == nil {
		return nil, ErrNoBots
	}
	return s.Bots.Authenticate(strings.TrimSpace(tok))
}

// refuseBot answers a refused token.
func (s *server) refuseBot(w http.ResponseWriter, err error) {
	s.Metrics.Refused.WithLabelValues("bot_token").Inc()
	w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	http.Error(w, err.Error(), http.StatusUnauthorized)
}

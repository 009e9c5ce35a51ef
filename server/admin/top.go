package admin

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Top-list bounds: the default is a screenful; the cap keeps an answer
// small.
const (
	defaultTop = 10
	maxTop     = 100
)

// ErrNoTally means this server keeps no top lists (cluster mode).
var ErrNoTally = errors.New("admin: top lists are not served here (cluster mode)")

// top answers the players and addresses with the most boxes changed and
// refused lately (server/tally): ?n=N lines each (default 10, at most 100).
func (a *api) top(w http.ResponseWriter, r *http.Request) {
	if a.Tally == nil {
		http.Error(w, ErrNoTally.Error(), http.StatusNotImplemented)
		return
	}
	n := defaultTop
	if s := r.URL.Query().Get("n"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 || v > maxTop {
			http.Error(w, fmt.Sprintf("%v: n=%q, want 1 to %d", ErrBody, s, maxTop), http.StatusBadRequest)
			return
		}
		n = v
	}
	reply(w, a.Tally.Top(n, time.Now()))
}

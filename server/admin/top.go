package admin

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"checkgrid/server/tally"
)

// Top-list bounds: the default is a screenful; the cap keeps an answer
// small.
const (
	defaultTop = 10
	maxTop     = 100
)

// ErrNoTally means this server keeps no top lists.
var ErrNoTally = errors.New("admin: top lists are not served here")

// TopList is the answer to GET /api/admin/top: the lists, and their scope.
type TopList struct {
	tally.Top
	// Scope is "server" (every player) or, in cluster mode, "node": the
	// players of Node only (each node keeps its own).
	Scope string `json:"scope"`
	Node  string `json:"node,omitempty"`
}

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
	res := TopList{Top: a.Tally.Top(n, time.Now()), Scope: "server", Node: a.TopNode}
	if a.TopNode != "" {
		res.Scope = "node"
	}
	reply(w, res)
}

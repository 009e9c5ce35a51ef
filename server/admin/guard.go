package admin

import (
	"net"
	"net/http"
	"strings"

	"golang.org/x/time/rate"
)

// DefaultRate is the admin API's rate limit in requests a second, with
// bursts of burstFactor times as many: an operator's console polls a few
// figures and images a second and acts now and then; a guesser of the token
// gets 10 tries a second for 2^256 tokens.
const (
	DefaultRate = 10
	burstFactor = 4
)

// Header names the operator sends.
const (
	// HeaderAuth carries "Bearer <token>". Never a cookie: a page on
	// another origin can make a browser send a cookie, not this header.
	HeaderAuth = "Authorization"
	// HeaderOperator optionally names who acts, for the audit log.
	HeaderOperator = "X-Checkgrid-Operator"
)

// Hosts is the set of Host header values the admin listener answers: its
// own address and the names the operator configured. A page whose DNS name
// rebinds to 127.0.0.1 sends its own name as Host and gets nothing.
type Hosts map[string]bool

// NewHosts allows addr (the listener's address, host:port) under its own
// IP, as localhost when it is loopback, and every name in names (with or
// without a port; a bare name allows any port).
func NewHosts(addr net.Addr, names []string) Hosts {
	h := Hosts{}
	host, port, err := net.SplitHostPort(addr.String())
	if err == nil {
		h[strings.ToLower(net.JoinHostPort(host, port))] = true
		if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
			h["localhost:"+port] = true
		}
	}
	for _, n := range names {
		if n = strings.ToLower(strings.TrimSpace(n)); n != "" {
			h[n] = true
		}
	}
	return h
}

// allows reports whether a request's Host is one of h.
func (h Hosts) allows(host string) bool {
	host = strings.ToLower(host)
	if h[host] {
		return true
	}
	if name, _, err := net.SplitHostPort(host); err == nil {
		return h[name]
	}
	return false
}

// CheckHost wraps next (the whole admin listener: metrics and pprof too)
// so that only requests for an allowed Host reach it.
func CheckHost(hosts Hosts, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !hosts.allows(r.Host) {
			http.Error(w, "unknown host: the admin listener answers only its own address or a name given by -admin-host", http.StatusMisdirectedRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// guard is the operator check in front of every /api/admin/ route: rate
// limit first (a token guesser pays it too), then the token.
type guard struct {
	token   Token
	limiter *rate.Limiter
	refuse  func(why string) // counts and logs refusals
}

func newGuard(t Token, perSecond float64, refuse func(string)) *guard {
	if perSecond <= 0 {
		perSecond = DefaultRate
	}
	return &guard{token: t, limiter: rate.NewLimiter(rate.Limit(perSecond), int(perSecond*burstFactor)), refuse: refuse}
}

// check answers the request itself and returns false unless it may go on.
func (g *guard) check(w http.ResponseWriter, r *http.Request) bool {
	if res := g.limiter.Reserve(); res.Delay() > 0 {
		res.Cancel()
		g.refuse("rate")
		w.Header().Set("Retry-After", "1")
		http.Error(w, "too many admin requests, slow down", http.StatusTooManyRequests)
		return false
	}
	secret, ok := strings.CutPrefix(r.Header.Get(HeaderAuth), "Bearer ")
	if !ok || !g.token.Matches(secret) {
		g.refuse("token")
		w.Header().Set("WWW-Authenticate", `Bearer realm="checkgrid admin"`)
		http.Error(w, "the operator token is missing or wrong (send it as Authorization: Bearer <token>; cookies are not read)", http.StatusUnauthorized)
		return false
	}
	return true
}

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/admin"
	"checkgrid/server/cluster"
	"checkgrid/server/hub"
	"checkgrid/server/store"
	"checkgrid/server/web"
)

// config is everything the flags set.
type config struct {
	addr, data, admin string
	adminPublic       bool
	adminToken        string // the operator token; empty: <data>/admin.token, made at first start
	adminHosts        string // extra Host names the admin listener answers
	adminRate         float64
	showVersion       bool
	metricsOnMain     bool

	// TLS: certificates from an ACME CA (tlsDomains) or from files.
	tlsDomains, tlsEmail, acmeDirectory string
	tlsCert, tlsKey                     string
	tlsPoll                             time.Duration
	httpAddr                            string // plain-HTTP redirect (and ACME challenge) listener

	timeouts         web.Timeouts
	maxHTTPPerAddr   int
	joinRate         float64
	joinBurst        int
	trustProxy       bool
	origins          string
	tick, maxTick    time.Duration
	writeBudget      float64
	syncMode         string
	syncInterval     time.Duration
	historyMaxBytes  int64
	historyMaxAge    time.Duration
	maxConns         int
	maxConnsPerAddr  int
	rate, addrRate   float64
	burst, addrBurst int
	slowFsync        time.Duration
	msgRate          float64
	msgBurst         int
	maxSetBoxes      int
	outbox           int
	paceTicks        int
	writeTimeout     time.Duration
	sndbuf           int

	// cluster mode (clustered.go)
	nats          string
	node          string
	natsRetain    int64
	leaseTTL      time.Duration
	snapshotEvery time.Duration
}

// parseConfig reads flags from args, with defaults from getenv
// (CHECKGRID_<FLAG>), so deployments can use either.
func parseConfig(args []string, getenv func(string) string) (config, error) {
	var c config
	fs := flag.NewFlagSet("checkgrid", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.addr, "addr", ":8080", "public listen address (page, assets, /ws, /api)")
	fs.StringVar(&c.data, "data", "./data", "data directory (write-ahead log, checkpoints, identity key)")
	fs.StringVar(&c.admin, "admin", "", "admin listen address for /metrics and /debug/pprof (off if empty); must be loopback unless -admin-public")
	fs.BoolVar(&c.adminPublic, "admin-public", false, "allow -admin on a non-loopback address (exposes /metrics and pprof to whoever reaches it)")
	fs.StringVar(&c.adminToken, "admin-token", "", "the operator token for the admin API on -admin (at least 16 characters); default: the one in <data>/admin.token, made at first start")
	fs.StringVar(&c.adminHosts, "admin-host", "", "comma-separated Host names the admin listener answers besides its own address (and localhost); others get 421, against DNS rebinding")
	fs.Float64Var(&c.adminRate, "admin-rate", admin.DefaultRate, "admin API requests per second (bursts of 4× as many), token guesses included")
	fs.BoolVar(&c.showVersion, "version", false, "print the version and exit")
	fs.StringVar(&c.tlsDomains, "tls-domain", "", "comma-separated domains to get certificates for from an ACME CA (Let's Encrypt); serves HTTPS on -addr (default :443)")
	fs.StringVar(&c.tlsEmail, "tls-email", "", "contact address given to the ACME CA (expiry notices), with -tls-domain")
	fs.StringVar(&c.acmeDirectory, "acme-directory", "", "ACME directory URL, with -tls-domain (default Let's Encrypt production)")
	fs.StringVar(&c.tlsCert, "tls-cert", "", "PEM certificate chain file; serves HTTPS on -addr (default :443); reloaded on change or SIGHUP")
	fs.StringVar(&c.tlsKey, "tls-key", "", "PEM private key file for -tls-cert")
	fs.DurationVar(&c.tlsPoll, "tls-poll", 10*time.Second, "how often -tls-cert and -tls-key are checked for changes")
	fs.StringVar(&c.httpAddr, "http-addr", "", "plain-HTTP listener redirecting to HTTPS and answering ACME challenges (default :80 with -tls-domain; off otherwise or if \"off\")")
	fs.DurationVar(&c.timeouts.Header, "http-header-timeout", web.DefaultHeaderTimeout, "time to read a request's headers")
	fs.DurationVar(&c.timeouts.Read, "http-read-timeout", web.DefaultReadTimeout, "time to read a whole request")
	fs.DurationVar(&c.timeouts.Write, "http-write-timeout", web.DefaultWriteTimeout, "time to write a response (the wasm download included)")
	fs.DurationVar(&c.timeouts.Idle, "http-idle-timeout", web.DefaultIdleTimeout, "how long a keep-alive connection may wait for its next request")
	fs.IntVar(&c.timeouts.MaxHeaderBytes, "max-header-bytes", web.DefaultMaxHeaderBytes, "largest request header block")
	fs.IntVar(&c.maxHTTPPerAddr, "max-http-conns-per-addr", 0, "open TCP connections per address on the public listeners, WebSockets included (default -max-conns-per-addr + 32; -1 = no cap; off with -trust-proxy)")
	fs.Float64Var(&c.joinRate, "join-rate", 2, "WebSocket connections per second per address, sustained (0 = no limit)")
	fs.IntVar(&c.joinBurst, "join-burst", 0, "WebSocket connections an address may open at once (default -max-conns-per-addr)")
	fs.BoolVar(&c.metricsOnMain, "metrics-on-main", false, "also serve /metrics on -addr")
	fs.BoolVar(&c.trustProxy, "trust-proxy", false, "take client addresses from X-Forwarded-For (only behind a proxy that sets it)")
	fs.StringVar(&c.origins, "origins", "", "comma-separated extra allowed WebSocket origins (host patterns); the serving host is always allowed")
	fs.DurationVar(&c.tick, "tick", hub.DefaultTick, "shortest tick period: how often changes are batched into a Delta")
	fs.DurationVar(&c.maxTick, "max-tick", hub.DefaultMaxTick, "longest tick period, used when clients × ticks/s would exceed -write-budget")
	fs.Float64Var(&c.writeBudget, "write-budget", hub.DefaultWriteBudget, "socket writes per second the tick aims to stay under")
	fs.StringVar(&c.syncMode, "sync", "always", "log durability: always (fsync before a Delta is sent) or interval")
	fs.DurationVar(&c.syncInterval, "sync-interval", 100*time.Millisecond, "fsync period with -sync interval")
	fs.Int64Var(&c.historyMaxBytes, "history-max-bytes", 0, "bound the kept history (log and keyframes in -data; in cluster mode the stream's bytes) to about this many bytes, dropping the oldest (0 = keep forever)")
	fs.DurationVar(&c.historyMaxAge, "history-max-age", 0, "drop history older than this (in cluster mode: the stream's max age; 0 = keep forever)")
	fs.IntVar(&c.maxConns, "max-conns", 60000, "maximum open WebSocket connections")
	fs.IntVar(&c.maxConnsPerAddr, "max-conns-per-addr", 32, "maximum connections per IPv4 address or IPv6 /64")
	fs.Float64Var(&c.rate, "rate", hub.DefaultPlayerRate.Per, "boxes per second per player, sustained")
	fs.IntVar(&c.burst, "burst", hub.DefaultPlayerRate.Burst, "boxes a player may set at once")
	fs.Float64Var(&c.addrRate, "addr-rate", hub.DefaultAddressRate.Per, "boxes per second per address, sustained")
	fs.IntVar(&c.addrBurst, "addr-burst", hub.DefaultAddressRate.Burst, "boxes an address may set at once")
	fs.DurationVar(&c.slowFsync, "fault-slow-fsync", 0, "benchmarks only: make every log fsync take at least this long, like a slow disk")
	fs.Float64Var(&c.msgRate, "msg-rate", hub.DefaultMessageRate.Per, "frames per second a connection may send (Sets, Viewports, pings, pongs…), sustained; past it: close 4006")
	fs.IntVar(&c.msgBurst, "msg-burst", hub.DefaultMessageRate.Burst, "frames a connection may send at once")
	fs.IntVar(&c.maxSetBoxes, "max-set", hub.DefaultMaxSetBoxes, "maximum boxes in one Set frame")
	fs.IntVar(&c.outbox, "outbox", hub.DefaultOutboxFrames, "frames queued per client before it is resynced")
	fs.IntVar(&c.paceTicks, "pace-ticks", hub.PaceTicks, "a passive version-3 player gets one DeltaRange per this many Deltas (1 = every Delta)")
	fs.IntVar(&c.sndbuf, "sndbuf", 256<<10, "kernel send buffer per connection in bytes (0 = kernel default): bounds kernel memory per slow client")
	fs.DurationVar(&c.writeTimeout, "write-timeout", hub.DefaultWriteTimeout, "close a connection whose writes stall this long")
	fs.StringVar(&c.nats, "nats", "", "cluster mode: comma-separated NATS JetStream server URLs; nodes share one grid through them (empty: this process alone, with its local log)")
	fs.StringVar(&c.node, "node", "", "cluster mode: this node's name, unique among the nodes (default: random)")
	fs.Int64Var(&c.natsRetain, "nats-retain", 0, "cluster mode: bound the stream (history's log of record) to this many Deltas, dropping the oldest (0 = keep forever; -history-max-bytes and -history-max-age bound it too)")
	fs.DurationVar(&c.leaseTTL, "lease-ttl", cluster.DefaultLeaseTTL, "cluster mode: the sequencer lease's TTL; bounds the write pause after a sequencer dies")
	fs.DurationVar(&c.snapshotEvery, "snapshot-every", cluster.DefaultSnapshotEvery, "cluster mode: how often the sequencer writes a grid snapshot")
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		name := "CHECKGRID_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(name); v != "" {
			if err := f.Value.Set(v); err != nil && envErr == nil {
				envErr = fmt.Errorf("%s=%q: %w", name, v, err)
			}
		}
	})
	if envErr != nil {
		return c, envErr
	}
	if err := fs.Parse(args); err != nil {
		var sb strings.Builder
		fs.SetOutput(&sb)
		fs.PrintDefaults()
		return c, fmt.Errorf("%w\n%s", err, sb.String())
	}
	addrSet := getenv("CHECKGRID_ADDR") != ""
	fs.Visit(func(f *flag.Flag) { addrSet = addrSet || f.Name == "addr" })
	if _, err := c.sync(); err != nil {
		return c, err
	}
	if c.historyMaxBytes < 0 || c.historyMaxAge < 0 {
		return c, fmt.Errorf("%w: -history-max-bytes %d, -history-max-age %v: want 0 (keep forever) or more", ErrLimit, c.historyMaxBytes, c.historyMaxAge)
	}
	// An address may hold all its WebSockets plus a few page loads, and
	// reopen all of them at once (a NAT after a server restart).
	if c.maxHTTPPerAddr == 0 {
		c.maxHTTPPerAddr = c.maxConnsPerAddr + httpConnsBesideWS
	}
	if c.joinBurst == 0 {
		c.joinBurst = c.maxConnsPerAddr
	}
	if err := c.checkAnnounced(); err != nil {
		return c, err
	}
	if c.paceTicks < 1 || c.paceTicks > maxPaceTicks {
		return c, fmt.Errorf("%w: -pace-ticks %d: want 1..%d (a passive player waits at most that many ticks)", ErrLimit, c.paceTicks, maxPaceTicks)
	}
	return c, c.checkTLS(addrSet)
}

// maxPaceTicks bounds -pace-ticks: 20 ticks is 1 s at the default tick,
// past which watching stops looking live.
const maxPaceTicks = 20

// httpConnsBesideWS is how many plain HTTP connections an address may have
// open besides its WebSockets: a browser opens up to 6 per host, and a
// household behind one address has a few browsers.
const httpConnsBesideWS = 32

// Configuration errors beyond a single flag's syntax.
var (
	errTLSBoth      = errors.New("-tls-domain and -tls-cert are alternatives: give one")
	errTLSPair      = errors.New("-tls-cert and -tls-key go together")
	errAdminExposed = errors.New("-admin is not a loopback address")
)

// checkTLS validates the TLS flags and applies their defaults: HTTPS on
// :443 unless -addr was given, and with -tls-domain the plain listener on
// :80 that the CA's HTTP-01 challenge needs.
func (c *config) checkTLS(addrSet bool) error {
	if c.tlsDomains != "" && c.tlsCert != "" {
		return errTLSBoth
	}
	if (c.tlsCert == "") != (c.tlsKey == "") {
		return errTLSPair
	}
	if c.tlsDomains != "" && len(c.domains()) == 0 {
		return fmt.Errorf("-tls-domain %q names no domain", c.tlsDomains)
	}
	if c.tls() && !addrSet {
		c.addr = ":443"
	}
	switch {
	case c.httpAddr == "off":
		c.httpAddr = ""
	case c.httpAddr == "" && c.tlsDomains != "":
		c.httpAddr = ":80"
	case c.httpAddr != "" && !c.tls():
		return fmt.Errorf("-http-addr %s redirects to HTTPS, which needs -tls-domain or -tls-cert", c.httpAddr)
	}
	if c.admin != "" && !c.adminPublic {
		if err := loopback(c.admin); err != nil {
			return fmt.Errorf("%w: %w (pass -admin-public to serve /metrics and pprof there anyway)", errAdminExposed, err)
		}
	}
	return nil
}

// tls reports whether the public listener serves HTTPS.
func (c config) tls() bool { return c.tlsDomains != "" || c.tlsCert != "" }

func (c config) domains() []string { return splitList(c.tlsDomains) }

// loopback checks that addr (host:port) binds only to loopback: an IP
// address that is loopback, or "localhost". An empty host binds to every
// interface.
func loopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if host == "localhost" {
		return nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		if host == "" {
			return fmt.Errorf("%s binds every interface", addr)
		}
		return fmt.Errorf("%s: give an IP address, not a host name", addr)
	}
	if !ip.IsLoopback() {
		return fmt.Errorf("%s is reachable from other machines", addr)
	}
	return nil
}

// ErrLimit means a limit flag holds a value the protocol cannot announce.
var ErrLimit = errors.New("limit out of range")

// maxField is the largest value of Welcome's 16-bit limit fields.
const maxField = 65535

// checkAnnounced refuses limits that Welcome could not carry exactly, so
// that what the server announces is what it enforces (PROTOCOL.md,
// Welcome).
func (c config) checkAnnounced() error {
	const field = "Welcome announces it in a 16-bit field"
	ints := []struct {
		name  string
		v, hi int
		why   string
	}{
		{"-max-set", c.maxSetBoxes, protocol.MaxSetBoxes, "a Set frame holds at most 1024 boxes"},
		{"-burst", c.burst, maxField, field},
		{"-addr-burst", c.addrBurst, maxField, field},
		{"-max-conns-per-addr", c.maxConnsPerAddr, maxField, field},
	}
	for _, f := range ints {
		if f.v < 1 || f.v > f.hi {
			return fmt.Errorf("%w: %s %d: want 1..%d (%s)", ErrLimit, f.name, f.v, f.hi, f.why)
		}
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"-rate", c.rate}, {"-addr-rate", c.addrRate}} {
		if !(f.v > 0 && f.v <= maxField) {
			return fmt.Errorf("%w: %s %g: want more than 0 and at most %d boxes/s (Welcome announces it in a 16-bit field)", ErrLimit, f.name, f.v, maxField)
		}
	}
	return nil
}

func (c config) sync() (store.SyncMode, error) {
	switch c.syncMode {
	case "always":
		return store.SyncEveryAppend, nil
	case "interval":
		return store.SyncInterval, nil
	}
	return 0, fmt.Errorf("-sync %q: want always or interval", c.syncMode)
}

func (c config) originList() []string { return splitList(c.origins) }

// splitList splits a comma-separated flag, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, o := range strings.Split(s, ",") {
		if o = strings.TrimSpace(o); o != "" {
			out = append(out, o)
		}
	}
	return out
}

// natsURLs is -nats split; none means the single process.
func (c config) natsURLs() []string {
	var out []string
	for _, u := range strings.Split(c.nats, ",") {
		if u = strings.TrimSpace(u); u != "" {
			out = append(out, u)
		}
	}
	return out
}

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// Hard caps. The tool shares a small machine with the server under test and
// with other people's work: a typo must not open a million sockets or run
// for an hour. 60,000 connections covers the 50,000-connection memory bar.
const (
	MaxConns      = 60000
	MaxRunTime    = 10 * time.Minute
	MaxSources    = 250              // 127.0.0.1 … 127.0.0.250
	MaxObservers  = 64               // each decodes every Delta: keep it a sample
	MaxClickRate  = 50.0             // clicks/s per clicker: "human speed" is ~1
	MinDrawEvery  = time.Millisecond // drawers at full speed measure ingest
	DefaultURL    = "ws://127.0.0.1:8080/ws"
	portsPerSrcIP = 28000 // Linux's default ephemeral range 32768–60999
)

// Sentinel errors for argument checks; wrapped with the offending value.
var (
	ErrNotLoopback = errors.New("loadgen: target is not a loopback address")
	ErrArgs        = errors.New("loadgen: invalid arguments")
)

// Mode says what a run measures.
type Mode uint8

// Modes.
const (
	ModeWS   Mode = iota + 1 // the real protocol against a checkgrid server
	ModeRaw                  // raw-TCP fan-out ceiling, in-process
	ModeBoth                 // ModeWS, then ModeRaw with the same conns and frame size; prints the ratio
)

func (m Mode) String() string {
	switch m {
	case ModeWS:
		return "ws"
	case ModeRaw:
		return "rawtcp"
	case ModeBoth:
		return "both"
	}
	return fmt.Sprintf("Mode(%d)", uint8(m))
}

func parseMode(s string) (Mode, error) {
	for _, m := range []Mode{ModeWS, ModeRaw, ModeBoth} {
		if m.String() == s {
			return m, nil
		}
	}
	return 0, fmt.Errorf("%w: -mode %q: want ws, rawtcp or both", ErrArgs, s)
}

// config is everything the flags set.
type config struct {
	mode       Mode
	url        string // target /ws URL (ignored with spawn)
	tls        bool   // a spawned server serves wss with a certificate made for the run
	caFile     string // PEM CA a wss:// -url's certificate is checked against
	spawn      string // server binary to start with a temp data dir
	serverArgs []string
	tick       time.Duration // passed to a spawned server as -tick
	pid        int           // server pid for CPU/RSS; 0 = spawned or found by port

	watchers, observers, clickers, drawers, abusers int
	viewers                                         int           // version-2 players zoomed in (viewer.go)
	moveEvery                                       time.Duration // how often a viewer moves
	stallFrac                                       float64       // share of watchers that stop reading halfway
	pace                                            bool          // watchers speak version 3: idle, the server paces them (DeltaRange)
	historyHammer                                   int           // history API clients in the window's second half
	clickRate                                       float64
	drawEvery                                       time.Duration
	drawLen                                         int

	ramp, duration time.Duration
	seed           uint64
	sources        int // 127.0.0.1 … 127.0.0.N, rotating

	rawFrame int           // rawtcp frame size in bytes; 0 = measured (both) or 64
	rawConns int           // rawtcp sockets; 0 = the players' total
	rawTick  time.Duration // rawtcp: one frame per socket per tick; 0 = as fast as they drain

	settle      time.Duration // pause after the ramp before measuring
	admin       string        // server admin host:port for profiles (set by spawn)
	cpuProfile  string        // write a server CPU profile of the window here
	heapProfile string        // write a server heap profile at the window's end here
	quiet       bool
}

// players is the number of WebSocket connections a ws run holds.
func (c config) players() int {
	return c.watchers + c.observers + c.clickers + c.drawers + c.abusers + c.viewers
}

// stallers is how many watchers stop reading with -stall-frac.
func (c config) stallers() int {
	return min(c.watchers, int(c.stallFrac*float64(c.players())+0.5))
}

// parseConfig reads and validates flags. Its error names the bad flag.
func parseConfig(args []string, usage io.Writer) (config, error) {
	var c config
	var mode, serverArgs string
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(usage)
	fs.StringVar(&mode, "mode", "ws", "ws (the real protocol), rawtcp (the machine's fan-out ceiling) or both (ws, then rawtcp with its conns and frame size, and the ratio)")
	fs.StringVar(&c.url, "url", DefaultURL, "server WebSocket URL; loopback only")
	fs.BoolVar(&c.tls, "tls", false, "with -spawn: the server serves TLS with a certificate made for this run, and players dial wss://")
	fs.StringVar(&c.caFile, "ca", "", "with a wss:// -url: PEM file of the CA its certificate is checked against (default: the system's)")
	fs.StringVar(&c.spawn, "spawn", "", "start this server binary on 127.0.0.1:0 with a temp data dir and load-test caps (preferred)")
	fs.StringVar(&serverArgs, "server-args", "", "extra flags for the spawned server, space-separated (they override the loadgen's)")
	fs.DurationVar(&c.tick, "tick", 100*time.Millisecond, "tick period for the spawned server (100ms = the 10 Hz figures)")
	fs.IntVar(&c.pid, "pid", 0, "server pid for CPU and RSS (default: the spawned one, or the process listening on -url's port)")
	fs.IntVar(&c.watchers, "watchers", 100, "players that only read and count")
	vw, vh := viewerSize()
	fs.IntVar(&c.viewers, "viewers", 0, fmt.Sprintf("version-2 players zoomed in: a %dx%d view at a random place, subscribed as the client does for a still view (%dx%d), jumping to another every -move-every", viewW, viewH, vw, vh))
	fs.DurationVar(&c.moveEvery, "move-every", 5*time.Second, "how often a viewer moves to a new place (±50%)")
	fs.IntVar(&c.observers, "observers", 4, "watchers that also decode every Delta to measure toggle-to-seen latency")
	fs.IntVar(&c.clickers, "clickers", 10, "players clicking single boxes at -click-rate")
	fs.Float64Var(&c.clickRate, "click-rate", 1, "clicks per second per clicker")
	fs.BoolVar(&c.pace, "pace", false, "watchers ask for version 3, so the server paces them once idle (PROTOCOL.md, Pacing): one DeltaRange per few ticks instead of every Delta")
	fs.Float64Var(&c.stallFrac, "stall-frac", 0, "share of all players (taken from the watchers) that stop reading halfway through the window; latency is reported for both halves")
	fs.IntVar(&c.historyHammer, "history-hammer", 0, "clients asking the history API (grids at random seqs, pages of records) as fast as it answers, in the second half of the window; latency is reported for both halves")
	fs.IntVar(&c.drawers, "drawers", 0, "players painting lines of -draw-len adjacent boxes every -draw-every")
	fs.DurationVar(&c.drawEvery, "draw-every", time.Second, "period between a drawer's lines")
	fs.IntVar(&c.drawLen, "draw-len", 20, "boxes per line (one Set)")
	fs.IntVar(&c.abusers, "abusers", 0, "bots that exceed every limit: too fast, oversized Sets, garbage and over-long frames; they reconnect after each close")
	fs.DurationVar(&c.ramp, "ramp", 5*time.Second, "spread the connections' dials over this long")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "measure for this long after the ramp")
	fs.DurationVar(&c.settle, "settle", time.Second, "wait this long after the ramp before measuring")
	fs.Uint64Var(&c.seed, "seed", 1, "random seed: who clicks which box when")
	fs.IntVar(&c.sources, "sources", 1, "local source addresses 127.0.0.1…127.0.0.N, rotating (each has ~28k ephemeral ports)")
	fs.IntVar(&c.rawFrame, "raw-frame", 0, "rawtcp frame size in bytes (default: the mean Delta frame of the ws run in -mode both, else 64)")
	fs.IntVar(&c.rawConns, "raw-conns", 0, "rawtcp sockets (default: the ws run's players)")
	fs.StringVar(&c.admin, "admin", "", "server admin address (host:port) serving /debug/pprof, for -cpuprofile (default: the spawned server's)")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of the server over the measurement window to this file (needs -spawn or -admin)")
	fs.StringVar(&c.heapProfile, "heapprofile", "", "write the server's heap profile at the end of the window to this file (needs -spawn or -admin)")
	fs.DurationVar(&c.rawTick, "raw-tick", 0, "rawtcp: send one frame to every socket per tick, like the server, to compare CPU per frame at equal load (0: as fast as the sockets drain, the ceiling)")
	fs.BoolVar(&c.quiet, "q", false, "no progress lines, only the report")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("%w: unexpected arguments %q", ErrArgs, fs.Args())
	}
	var err error
	if c.mode, err = parseMode(mode); err != nil {
		return c, err
	}
	c.serverArgs = strings.Fields(serverArgs)
	return c, c.validate()
}

// validate enforces the caps and the loopback-only rule.
func (c config) validate() error {
	bad := func(format string, a ...any) error { return fmt.Errorf("%w: "+format, append([]any{ErrArgs}, a...)...) }
	for _, v := range []struct {
		name string
		n    int
	}{{"watchers", c.watchers}, {"observers", c.observers}, {"clickers", c.clickers}, {"drawers", c.drawers}, {"abusers", c.abusers}, {"viewers", c.viewers}, {"raw-conns", c.rawConns}, {"raw-frame", c.rawFrame}, {"pid", c.pid}} {
		if v.n < 0 {
			return bad("-%s %d is negative", v.name, v.n)
		}
	}
	conns := max(c.players(), c.rawConns)
	if c.mode != ModeRaw && c.players() == 0 {
		return bad("no players: set -watchers, -clickers, …")
	}
	if conns > MaxConns {
		return bad("%d connections: the cap is %d", conns, MaxConns)
	}
	if c.observers > MaxObservers {
		return bad("-observers %d: the cap is %d (each decodes every Delta)", c.observers, MaxObservers)
	}
	if c.clickRate <= 0 || c.clickRate > MaxClickRate {
		return bad("-click-rate %g: want (0, %g]", c.clickRate, MaxClickRate)
	}
	if c.drawEvery < MinDrawEvery {
		return bad("-draw-every %v: want at least %v", c.drawEvery, MinDrawEvery)
	}
	if c.drawLen < 1 || c.drawLen > 1024 {
		return bad("-draw-len %d: want 1…1024", c.drawLen)
	}
	if c.duration <= 0 || c.ramp < 0 || c.settle < 0 {
		return bad("-duration must be positive, -ramp and -settle not negative")
	}
	total := c.ramp + c.settle + c.duration
	if c.mode == ModeBoth {
		total *= 2
	}
	if total > MaxRunTime {
		return bad("run of %v: the cap is %v", total, MaxRunTime)
	}
	if c.sources < 1 || c.sources > MaxSources {
		return bad("-sources %d: want 1…%d", c.sources, MaxSources)
	}
	if need := (conns + portsPerSrcIP - 1) / portsPerSrcIP; c.sources < need {
		return bad("%d connections need -sources %d or more (~%d ephemeral ports per source address)", conns, need, portsPerSrcIP)
	}
	if c.tick <= 0 {
		return bad("-tick %v: want positive", c.tick)
	}
	if c.spawn == "" && c.mode != ModeRaw {
		if _, err := checkURL(c.url); err != nil {
			return err
		}
	}
	if c.tls && c.spawn == "" {
		return bad("-tls makes the spawned server's certificate: it needs -spawn (for another server, give -url wss://… and -ca)")
	}
	if c.caFile != "" && (c.spawn != "" || !strings.HasPrefix(c.url, "wss://")) {
		return bad("-ca is for a wss:// -url without -spawn")
	}
	return nil
}

// checkURL accepts only ws:// and wss:// URLs whose host is a loopback address
// (127.0.0.0/8, ::1, or "localhost"): a load generator aimed at someone
// else's server is an attack, not a benchmark. It returns host:port.
func checkURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("%w: -url %q: %v", ErrArgs, raw, err)
	}
	port := u.Port()
	switch {
	case u.Scheme == "ws" && port == "":
		port = "80"
	case u.Scheme == "wss" && port == "":
		port = "443"
	case u.Scheme != "ws" && u.Scheme != "wss":
		return "", fmt.Errorf("%w: -url %q: want ws:// or wss://", ErrArgs, raw)
	}
	if err := checkLoopback(u.Hostname()); err != nil {
		return "", err
	}
	return net.JoinHostPort(u.Hostname(), port), nil
}

// checkLoopback returns nil only for a literal loopback IP or "localhost".
// Names other than localhost are refused rather than resolved, so DNS can
// never point the tool elsewhere.
func checkLoopback(host string) error {
	if host == "localhost" {
		return nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("%w: %q is not an IP literal or localhost", ErrNotLoopback, host)
	}
	if !ip.Unmap().IsLoopback() {
		return fmt.Errorf("%w: %s (only 127.0.0.0/8 and ::1)", ErrNotLoopback, ip)
	}
	return nil
}

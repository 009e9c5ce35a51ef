package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/hub"
	"checkgrid/server/store"
)

// config is everything the flags set.
type config struct {
	addr, data, admin string
	metricsOnMain     bool
	trustProxy        bool
	origins           string
	tick, maxTick     time.Duration
	writeBudget       float64
	syncMode          string
	syncInterval      time.Duration
	maxConns          int
	maxConnsPerAddr   int
	rate, addrRate    float64
	burst, addrBurst  int
	maxSetBoxes       int
	outbox            int
	writeTimeout      time.Duration
	sndbuf            int
}

// parseConfig reads flags from args, with defaults from getenv
// (CHECKGRID_<FLAG>), so deployments can use either.
func parseConfig(args []string, getenv func(string) string) (config, error) {
	var c config
	fs := flag.NewFlagSet("checkgrid", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.addr, "addr", ":8080", "public listen address (page, assets, /ws, /api)")
	fs.StringVar(&c.data, "data", "./data", "data directory (write-ahead log, checkpoints, identity key)")
	fs.StringVar(&c.admin, "admin", "", "admin listen address for /metrics and /debug/pprof (off if empty)")
	fs.BoolVar(&c.metricsOnMain, "metrics-on-main", false, "also serve /metrics on -addr")
	fs.BoolVar(&c.trustProxy, "trust-proxy", false, "take client addresses from X-Forwarded-For (only behind a proxy that sets it)")
	fs.StringVar(&c.origins, "origins", "", "comma-separated extra allowed WebSocket origins (host patterns); the serving host is always allowed")
	fs.DurationVar(&c.tick, "tick", hub.DefaultTick, "shortest tick period: how often changes are batched into a Delta")
	fs.DurationVar(&c.maxTick, "max-tick", hub.DefaultMaxTick, "longest tick period, used when clients × ticks/s would exceed -write-budget")
	fs.Float64Var(&c.writeBudget, "write-budget", hub.DefaultWriteBudget, "socket writes per second the tick aims to stay under")
	fs.StringVar(&c.syncMode, "sync", "always", "log durability: always (fsync before a Delta is sent) or interval")
	fs.DurationVar(&c.syncInterval, "sync-interval", 100*time.Millisecond, "fsync period with -sync interval")
	fs.IntVar(&c.maxConns, "max-conns", 60000, "maximum open WebSocket connections")
	fs.IntVar(&c.maxConnsPerAddr, "max-conns-per-addr", 32, "maximum connections per IPv4 address or IPv6 /64")
	fs.Float64Var(&c.rate, "rate", hub.DefaultPlayerRate.Per, "boxes per second per player, sustained")
	fs.IntVar(&c.burst, "burst", hub.DefaultPlayerRate.Burst, "boxes a player may set at once")
	fs.Float64Var(&c.addrRate, "addr-rate", hub.DefaultAddressRate.Per, "boxes per second per address, sustained")
	fs.IntVar(&c.addrBurst, "addr-burst", hub.DefaultAddressRate.Burst, "boxes an address may set at once")
	fs.IntVar(&c.maxSetBoxes, "max-set", hub.DefaultMaxSetBoxes, "maximum boxes in one Set frame")
	fs.IntVar(&c.outbox, "outbox", hub.DefaultOutboxFrames, "frames queued per client before it is resynced")
	fs.IntVar(&c.sndbuf, "sndbuf", 256<<10, "kernel send buffer per connection in bytes (0 = kernel default): bounds kernel memory per slow client")
	fs.DurationVar(&c.writeTimeout, "write-timeout", hub.DefaultWriteTimeout, "close a connection whose writes stall this long")
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
	if _, err := c.sync(); err != nil {
		return c, err
	}
	return c, c.checkAnnounced()
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

func (c config) originList() []string {
	var out []string
	for _, o := range strings.Split(c.origins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			out = append(out, o)
		}
	}
	return out
}

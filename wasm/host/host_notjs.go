//go:build !js

package host

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"checkgrid/wasm/cli"
	"checkgrid/wasm/deeplink"
)

// ErrServer means the server the player named is not one the client can
// dial.
var ErrServer = errors.New("host: not a server URL")

// envServer names the server when neither -server nor a URL argument does.
const envServer = "CHECKGRID_SERVER"

// Load reads the desktop's command line: the server from -server, a URL
// argument, $CHECKGRID_SERVER or the build's default, in that order; the
// view from -x, -y, -z or -n, else from the URL's fragment.
func Load() (Config, error) {
	v, err := cli.Parse(os.Args[1:], os.Stderr, cli.Default())
	if err != nil {
		return Config{}, err
	}
	return configure(v, os.Getenv(envServer), cli.Default())
}

// configure turns parsed flags, the environment's server and the build's
// default into a Config.
func configure(v *cli.Values, env, def string) (Config, error) {
	target := v.Server
	for _, s := range append(v.Args, env, def) {
		if target != "" {
			break
		}
		target = s
	}
	server, view, err := Resolve(target)
	if err != nil {
		return Config{}, err
	}
	cfg := Config{Server: server, View: view}
	switch {
	case v.N >= 0:
		vw, err := deeplink.Parse(fmt.Sprintf("n=%d", v.N))
		if err != nil {
			return cfg, err
		}
		cfg.View = &vw
	case v.X >= 0 || v.Y >= 0:
		vw, err := deeplink.Parse(fmt.Sprintf("x=%d&y=%d&z=%g", v.X, v.Y, v.Z))
		if err != nil {
			return cfg, errors.Join(err, errors.New("host: -x and -y must both be in 0..999"))
		}
		cfg.View = &vw
	}
	return cfg, nil
}

// Resolve turns what a player may paste (checkgrid://host, https://host/,
// http://host:8080/#x=1&y=2, ws://host/ws, or a bare host[:port]) into the
// WebSocket URL to dial and the view its fragment names (nil if none).
// checkgrid:// and a bare host mean TLS (wss), except on a loopback host,
// where a development server has none.
func Resolve(s string) (string, *deeplink.View, error) {
	if !strings.Contains(s, "://") {
		s = "checkgrid://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "", nil, fmt.Errorf("%w: %q (want checkgrid://host, https://host or ws://host/ws)", ErrServer, s)
	}
	var view *deeplink.View
	if u.Fragment != "" {
		vw, err := deeplink.Parse(u.Fragment)
		if err != nil {
			return "", nil, fmt.Errorf("host: the view in %q: %w", s, err)
		}
		view = &vw
	}
	path := "/ws"
	switch strings.ToLower(u.Scheme) {
	case "ws", "wss":
		if u.Path != "" && u.Path != "/" {
			path = u.Path
		}
		return strings.ToLower(u.Scheme) + "://" + u.Host + path, view, nil
	case "http":
		return "ws://" + u.Host + path, view, nil
	case "https":
		return "wss://" + u.Host + path, view, nil
	case "checkgrid":
		scheme := "wss://"
		if loopback(u.Hostname()) {
			scheme = "ws://"
		}
		return scheme + u.Host + path, view, nil
	}
	return "", nil, fmt.Errorf("%w: %q has scheme %q (want checkgrid, https, http, wss or ws)", ErrServer, s, u.Scheme)
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Page reports the client's state on stderr, one line per change.
type Page struct {
	last     Published
	links    chan deeplink.View
	commands chan Command
	seen     string // the file keeping the seq seen on this server ("": none)
	seenErr  bool   // a write failed: said once
}

// NewPage returns the desktop page of the game played on server (the
// WebSocket URL; the seq seen is kept per server, seen_notjs.go);
// displayed is not needed here.
func NewPage(_ func(uint32) bool, server string) *Page {
	p := &Page{links: make(chan deeplink.View), commands: make(chan Command)}
	dir, err := os.UserConfigDir()
	if err == nil {
		p.seen, err = seenPath(dir, server)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "checkgrid: while you were away is off: %v\n", err)
	}
	return p
}

// Browser reports whether this is the browser build.
func (p *Page) Browser() bool { return false }

// WheelPinch reports whether the wheel events since the last call were a
// trackpad pinch. The desktop's GLFW has no such flag (a held Ctrl is read
// from the keyboard instead), so never.
func (p *Page) WheelPinch() bool { return false }

// Coarse reports whether the primary pointer is a finger: on the desktop,
// a mouse (a touch, if any, switches the game to touch mode as it comes).
func (p *Page) Coarse() bool { return false }

// ToolbarCSS is 0: the desktop has no toolbar; its keys do the same.
func (p *Page) ToolbarCSS() float64 { return 0 }

// OperatorCSS is 0: the desktop has no operator panel.
func (p *Page) OperatorCSS() float64 { return 0 }

// LastSeen returns the last seq SetSeen kept for this server, if any.
func (p *Page) LastSeen() (uint64, bool) {
	if p.seen == "" {
		return 0, false
	}
	return readSeen(p.seen)
}

// SetSeen keeps seq as the last the player saw on this server. A failure
// is said once; the next run then has an older seq or none.
func (p *Page) SetSeen(seq uint64) {
	if p.seen == "" {
		return
	}
	if err := writeSeen(p.seen, seq); err != nil && !p.seenErr {
		p.seenErr = true
		fmt.Fprintf(os.Stderr, "checkgrid: keeping the seq seen: %v\n", err)
	}
}

// TakeSeek never has a moment on the desktop: its keys step the time
// machine (Commands of the game's own).
func (p *Page) TakeSeek() (int64, bool) { return 0, false }

// Commands never delivers on the desktop.
func (p *Page) Commands() <-chan Command { return p.commands }

// Publish prints the connection state and readiness when they change.
func (p *Page) Publish(s Published) {
	if s.State != p.last.State {
		fmt.Fprintf(os.Stderr, "checkgrid: %s\n", s.State)
	}
	if s.Ready && !p.last.Ready {
		fmt.Fprintf(os.Stderr, "checkgrid: ready at seq %d, %d checked\n", s.Seq, s.Checked)
	}
	if s.Message != "" && s.Message != p.last.Message {
		fmt.Fprintf(os.Stderr, "checkgrid: %s\n", s.Message)
	}
	if a := s.Away; a.Changed >= 0 && p.last.Away.Changed < 0 {
		fmt.Fprintf(os.Stderr, "checkgrid: while you were away (since seq %d): %d boxes changed, %d on screen\n", a.Since, a.Changed, a.InView)
	}
	if s.Missing != p.last.Missing {
		fmt.Fprintf(os.Stderr, "checkgrid: no glyph in the font for %q\n", s.Missing)
	}
	p.last = s
}

// SetView does nothing on the desktop: there is no URL.
func (p *Page) SetView(deeplink.View, time.Duration) {}

// Links never delivers on the desktop.
func (p *Page) Links() <-chan deeplink.View { return p.links }

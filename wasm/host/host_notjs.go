//go:build !js

package host

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"checkgrid/wasm/deeplink"
)

// Load reads the desktop flags: -server, and -x, -y, -z or -n for the view.
func Load() (Config, error) {
	fs := flag.NewFlagSet(os.Args[0], flag.ContinueOnError)
	server := fs.String("server", "ws://127.0.0.1:8080/ws", "the server's WebSocket URL")
	x := fs.Int("x", -1, "column of the box to centre (0..999)")
	y := fs.Int("y", -1, "row of the box to centre (0..999)")
	z := fs.Float64("z", deeplink.JumpZoom, "zoom: pixels per box")
	n := fs.Int("n", -1, "box number to centre (0..999999)")
	if err := fs.Parse(os.Args[1:]); err != nil {
		return Config{}, err
	}
	cfg := Config{Server: *server}
	switch {
	case *n >= 0:
		v, err := deeplink.Parse(fmt.Sprintf("n=%d", *n))
		if err != nil {
			return cfg, err
		}
		cfg.View = &v
	case *x >= 0 || *y >= 0:
		v, err := deeplink.Parse(fmt.Sprintf("x=%d&y=%d&z=%g", *x, *y, *z))
		if err != nil {
			return cfg, errors.Join(err, errors.New("host: -x and -y must both be in 0..999"))
		}
		cfg.View = &v
	}
	return cfg, nil
}

// Page reports the client's state on stderr, one line per change.
type Page struct {
	last  Published
	links chan deeplink.View
}

// NewPage returns the desktop page; displayed is not needed here.
func NewPage(func(uint32) bool) *Page { return &Page{links: make(chan deeplink.View)} }

// Browser reports whether this is the browser build.
func (p *Page) Browser() bool { return false }

// WheelPinch reports whether the wheel events since the last call were a
// trackpad pinch. The desktop's GLFW has no such flag (a held Ctrl is read
// from the keyboard instead), so never.
func (p *Page) WheelPinch() bool { return false }

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
	p.last = s
}

// SetView does nothing on the desktop: there is no URL.
func (p *Page) SetView(deeplink.View, time.Duration) {}

// Links never delivers on the desktop.
func (p *Page) Links() <-chan deeplink.View { return p.links }

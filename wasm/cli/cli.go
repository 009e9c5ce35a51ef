//go:build !js

package cli

import (
	"flag"
	"fmt"
	"io"
)

// Values are the desktop client's flags after parsing.
type Values struct {
	Server string // -server: a ws(s)://, http(s):// or checkgrid:// URL
	X, Y   int    // -x, -y: the box to centre (-1: not given)
	Z      float64
	N      int      // -n: the box number to centre (-1: not given)
	Args   []string // what follows the flags: at most one URL
}

// usageHead is printed above the flags.
const usageHead = `checkgrid-desktop: a shared grid of a million checkboxes.

Usage:
  checkgrid-desktop [flags] [URL]

URL (or -server, or $CHECKGRID_SERVER) names the server: checkgrid://host,
https://host (wss), http://host (ws), or ws(s)://host/ws; a fragment such as
#x=500&y=400&z=24 or #n=123456 opens that view. Without one, the client plays
on the public server it was built for (%s).

Flags:
`

// newFlags returns the flag set, writing its usage and errors to out, and the
// Values it parses into. def is the server used when none is named.
func newFlags(out io.Writer, def string) (*flag.FlagSet, *Values) {
	fs := flag.NewFlagSet("checkgrid-desktop", flag.ContinueOnError)
	fs.SetOutput(out)
	v := &Values{}
	fs.StringVar(&v.Server, "server", "", "the server (see URL above); overrides $CHECKGRID_SERVER")
	fs.IntVar(&v.X, "x", -1, "column of the box to centre (0..999)")
	fs.IntVar(&v.Y, "y", -1, "row of the box to centre (0..999)")
	fs.Float64Var(&v.Z, "z", 24, "zoom: pixels per box")
	fs.IntVar(&v.N, "n", -1, "box number to centre (0..999999)")
	fs.Usage = func() {
		fmt.Fprintf(out, usageHead, def)
		fs.PrintDefaults()
	}
	return fs, v
}

// Parse parses args (without the program name) into fresh Values.
func Parse(args []string, out io.Writer, def string) (*Values, error) {
	fs, v := newFlags(out, def)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	v.Args = fs.Args()
	if len(v.Args) > 1 {
		fs.Usage()
		return nil, fmt.Errorf("cli: one server URL at most, got %q", v.Args)
	}
	return v, nil
}

// Preflight reports whether the process must stop before Ebiten starts
// (stop) and with which exit code: 0 after -h, 2 after bad flags (usage is
// printed), 1 when there is no display to open a window on (a message
// says so). goos is runtime.GOOS; getenv reads the environment.
func Preflight(args []string, goos string, getenv func(string) string, out io.Writer, def string) (code int, stop bool) {
	if _, err := Parse(args, out, def); err != nil {
		if err == flag.ErrHelp {
			return 0, true
		}
		return 2, true
	}
	switch goos {
	case "windows", "darwin", "android", "ios":
		return 0, false // the OS always has a display for a desktop app
	}
	if getenv("DISPLAY") == "" && getenv("WAYLAND_DISPLAY") == "" {
		fmt.Fprintf(out, "checkgrid-desktop: no display to open a window on (DISPLAY and WAYLAND_DISPLAY are not set).\n"+
			"This is the desktop client: run it in a graphical session, or play in a browser.\n")
		return 1, true
	}
	return 0, false
}

// defaultServer is the server a downloaded build plays on when none is
// named. A package variable only because the linker's -X can set nothing
// else: `go build -ldflags "-X checkgrid/wasm/cli.defaultServer=checkgrid://example.org"`
// (make desktop and make release pass SERVER_URL). Never written at
// run time.
var defaultServer = "ws://127.0.0.1:8080/ws"

// Default is the server used when none is named: the build's default.
func Default() string { return defaultServer }

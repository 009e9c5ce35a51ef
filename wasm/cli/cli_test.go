//go:build !js

package cli

import (
	"strings"
	"testing"
)

func TestPreflight(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	x11 := env(map[string]string{"DISPLAY": ":0"})
	none := env(nil)
	for _, tc := range []struct {
		name   string
		args   []string
		goos   string
		getenv func(string) string
		code   int
		stop   bool
		out    string
	}{
		{"help without a display", []string{"-h"}, "linux", none, 0, true, "Usage:"},
		{"bad flag", []string{"-bogus"}, "linux", x11, 2, true, "flag provided but not defined"},
		{"two URLs", []string{"a", "b"}, "linux", x11, 2, true, "Usage:"},
		{"no display", nil, "linux", none, 1, true, "no display"},
		{"wayland", nil, "linux", env(map[string]string{"WAYLAND_DISPLAY": "wayland-0"}), 0, false, ""},
		{"x11 with a URL", []string{"-x", "3", "-y", "4", "checkgrid://example.org"}, "linux", x11, 0, false, ""},
		{"windows has a display", nil, "windows", none, 0, false, ""},
	} {
		var out strings.Builder
		code, stop := Preflight(tc.args, tc.goos, tc.getenv, &out, "checkgrid://play.example")
		if code != tc.code || stop != tc.stop || !strings.Contains(out.String(), tc.out) {
			t.Errorf("%s: code %d stop %v, output %q; want %d %v containing %q", tc.name, code, stop, out.String(), tc.code, tc.stop, tc.out)
		}
	}
	var out strings.Builder
	Preflight([]string{"-h"}, "linux", none, &out, "checkgrid://play.example")
	if !strings.Contains(out.String(), "checkgrid://play.example") || !strings.Contains(out.String(), "-server") {
		t.Errorf("usage does not name the default server and the flags:\n%s", out.String())
	}
}

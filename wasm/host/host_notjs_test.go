//go:build !js

package host

import (
	"errors"
	"testing"

	"checkgrid/wasm/cli"
)

func TestResolve(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		x, y     int // -1: no view
	}{
		{"checkgrid://play.example.org", "wss://play.example.org/ws", -1, -1},
		{"checkgrid://127.0.0.1:8080/#x=3&y=4&z=30", "ws://127.0.0.1:8080/ws", 3, 4},
		{"checkgrid://localhost:9000", "ws://localhost:9000/ws", -1, -1},
		{"https://play.example.org/#n=1002", "wss://play.example.org/ws", 2, 1},
		{"http://10.0.0.5:8080", "ws://10.0.0.5:8080/ws", -1, -1},
		{"ws://127.0.0.1:8080/ws", "ws://127.0.0.1:8080/ws", -1, -1},
		{"wss://play.example.org/custom", "wss://play.example.org/custom", -1, -1},
		{"play.example.org", "wss://play.example.org/ws", -1, -1},
		{"[::1]:8080", "ws://[::1]:8080/ws", -1, -1},
	} {
		got, v, err := Resolve(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Resolve(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			continue
		}
		if (v == nil) != (tc.x < 0) || v != nil && (v.X != tc.x || v.Y != tc.y) {
			t.Errorf("Resolve(%q) view %+v, want (%d,%d)", tc.in, v, tc.x, tc.y)
		}
	}
	for _, bad := range []string{"ftp://example.org", "https://", "checkgrid://host/#x=5000&y=1"} {
		if _, _, err := Resolve(bad); err == nil {
			t.Errorf("Resolve(%q) accepted", bad)
		}
	}
	if _, _, err := Resolve("gopher://x"); !errors.Is(err, ErrServer) {
		t.Errorf("unknown scheme: %v, want ErrServer", err)
	}
}

func TestServerPrecedence(t *testing.T) {
	const def = "checkgrid://default.example"
	for _, tc := range []struct {
		args []string
		env  string
		want string
	}{
		{nil, "", "wss://default.example/ws"},
		{nil, "checkgrid://env.example", "wss://env.example/ws"},
		{[]string{"https://arg.example"}, "checkgrid://env.example", "wss://arg.example/ws"},
		{[]string{"-server", "ws://flag.example/ws", "https://arg.example"}, "checkgrid://env.example", "ws://flag.example/ws"},
		{[]string{"-n", "5", "https://arg.example/#x=9&y=9"}, "", "wss://arg.example/ws"},
	} {
		v, err := cli.Parse(tc.args, nil, def)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := configure(v, tc.env, def)
		if err != nil || cfg.Server != tc.want {
			t.Errorf("args %q env %q: %q, %v; want %q", tc.args, tc.env, cfg.Server, err, tc.want)
		}
	}
	// -n wins over the URL's fragment.
	v, _ := cli.Parse([]string{"-n", "5", "https://arg.example/#x=9&y=9"}, nil, def)
	if cfg, _ := configure(v, "", def); cfg.View == nil || cfg.View.X != 5 || cfg.View.Y != 0 {
		t.Errorf("view %+v, want box 5", cfg.View)
	}
}

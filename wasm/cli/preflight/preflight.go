//go:build !js

// Package preflight, imported for its side effect by the desktop build's
// main, stops the process with usage or a clear error before Ebiten's
// initialiser can panic without a display (see package cli for why this
// runs first).
package preflight

import (
	"os"
	"runtime"

	"checkgrid/wasm/cli"
)

func init() {
	if code, stop := cli.Preflight(os.Args[1:], runtime.GOOS, os.Getenv, os.Stderr, cli.Default()); stop {
		os.Exit(code)
	}
}

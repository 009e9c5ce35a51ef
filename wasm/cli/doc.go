//go:build !js

// Package cli is the desktop client's command line: its flags, its usage,
// and the check that a display exists, done before Ebiten starts.
//
// Why a package of its own: Ebiten opens GLFW in a package initialiser, and
// without a display that panics before main runs, so `checkgrid-desktop -h`
// on a server or over ssh would print a GLFW stack trace instead of usage.
// Go initialises packages in import-path order among those whose imports
// are done (the spec's rule since Go 1.21). Package preflight below this
// one runs Preflight in its init: it and this package import only flag,
// fmt, io, os and runtime, which Ebiten needs too, and their paths sort
// before github.com/…, so that init runs before Ebiten's. It handles -h
// and bad flags (usage, exit 0 or 2) and a missing display (a clear
// message, exit 1); the e2e test TestDesktopWithoutDisplay runs the real
// binary that way.
//
// Entry points: Parse reads the flags into Values; Preflight decides, from
// the arguments and environment, whether the process should stop before
// Ebiten starts, and with what exit code; Default is the server a build
// plays on when none is named (set at build time).
//
// Pure functions and fresh values: safe for concurrent use.
package cli

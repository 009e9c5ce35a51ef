//go:build !js

package main

// Before Ebiten's initialiser: -h and a missing display end the desktop
// client with usage or a clear message instead of a GLFW panic.
import _ "checkgrid/wasm/cli/preflight"

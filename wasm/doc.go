// Command wasm is the checkgrid client, for the browser (GOOS=js
// GOARCH=wasm) and the desktop. It only wires the parts together: the host
// configuration, the connection, the session and the Ebiten game.
package main

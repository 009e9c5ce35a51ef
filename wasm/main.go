// Command wasm is the checkgrid client (placeholder until the client lands).
package main

import "github.com/hajimehoshi/ebiten/v2"

type game struct{}

func (game) Update() error              { return nil }
func (game) Draw(*ebiten.Image)         {}
func (game) Layout(w, h int) (int, int) { return w, h }

func main() { _ = ebiten.RunGame(game{}) }

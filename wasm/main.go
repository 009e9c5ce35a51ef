package main

import (
	"fmt"
	"os"
	"time"

	"github.com/hajimehoshi/ebiten/v2"

	"checkgrid/wasm/conn"
	"checkgrid/wasm/game"
	"checkgrid/wasm/host"
	"checkgrid/wasm/session"
	"checkgrid/wasm/timeline"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "checkgrid:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := host.Load()
	if err != nil {
		return err
	}
	c := conn.Open(session.URL(cfg.Server))
	defer c.Close()
	sess := session.New(uint64(time.Now().UnixNano()), c)
	page := host.NewPage(sess.Board().Displayed, cfg.Server)
	g, err := game.New(page, sess, cfg.View)
	if err != nil {
		return err
	}
	// History comes from the server the game plays on (the page's own
	// origin in the browser).
	if base, err := timeline.Base(cfg.Server); err != nil {
		fmt.Fprintln(os.Stderr, "checkgrid: no time machine:", err)
	} else {
		g.SetHistory(base)
		if cfg.AdminToken != "" { // opened on the admin listener with the token
			g.SetOperator(base, cfg.AdminToken)
		}
	}
	ebiten.SetWindowTitle("checkgrid: a million checkboxes")
	var sw, sh int // the screen, 0 if unknown
	if m := ebiten.Monitor(); m != nil {
		sw, sh = m.Size()
	}
	ebiten.SetWindowSize(host.WindowSize(sw, sh))
	ebiten.SetWindowResizingMode(ebiten.WindowResizingModeEnabled)
	return ebiten.RunGame(g)
}

//go:build !js

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"checkgrid/protocol"
)

// TestDesktopWhileAway: the native client under Xvfb keeps the seq it saw
// in a file in the user's config directory ($XDG_CONFIG_HOME); it quits;
// boxes change, three on its screen and one far away; started again, it
// says 4 changed, 3 on screen, since that seq, and rings the three (and
// not a box that did not change), as the browser does (TestWhileAway).
func TestDesktopWhileAway(t *testing.T) {
	srv := startServer(t)
	bin := buildDesktop(t)
	w := srv.watch(t)
	commit(t, srv, w, on(300, 301)) // a box that does not change while away
	display := xvfb(t, 1600, 1000)
	config := t.TempDir()
	env := []string{"XDG_CONFIG_HOME=" + config}
	const X, Y, Z = 301, 301, 24
	link := fmt.Sprintf("checkgrid://%s/#x=%d&y=%d&z=%d", srv.addr, X, Y, Z)

	first := startDesktopEnv(t, srv, bin, display, env, link)
	seen := srv.history().LastSeq
	seenFile := func() (uint64, string) {
		files, _ := filepath.Glob(filepath.Join(config, "checkgrid", "seen", "*"))
		if len(files) != 1 {
			return 0, fmt.Sprint(files)
		}
		b, _ := os.ReadFile(files[0])
		n, _ := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
		return n, files[0]
	}
	deadline := time.Now().Add(20 * time.Second)
	for n, _ := seenFile(); n != seen; n, _ = seenFile() {
		if time.Now().After(deadline) {
			_, files := seenFile()
			t.Fatalf("the seq seen (%d) not kept in the config directory within 20 s (seen files %s, holding %d)", seen, files, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	first.stop()

	changed := []protocol.Change{on(300, 300), on(303, 302), on(298, 299), on(900, 900)}
	commit(t, srv, w, changed...)
	second := startDesktopEnv(t, srv, bin, display, env, link)
	waitLog(t, second.logs, fmt.Sprintf("while you were away (since seq %d): 4 boxes changed, 3 on screen", seen), 30*time.Second)

	wx, wy, ww, wh := windowGeometry(t, display)
	v := view{X: X, Y: Y, Zoom: Z, W: ww, H: wh, OffX: float64(wx), OffY: float64(wy)}
	deadline = time.Now().Add(15 * time.Second)
	for {
		s := rootShot(t, display)
		why := ""
		for _, c := range changed[:3] {
			x, y := int(c.Index%1000), int(c.Index/1000)
			if n := awayPixels(s, ringRect(v, x, y)); n < 40 {
				why = fmt.Sprintf("box (%d,%d): %d teal ring pixels, want ≥ 40", x, y, n)
			}
		}
		if n := awayPixels(s, ringRect(v, 306, 301)); n > 0 {
			why = fmt.Sprintf("box (306,301) did not change but has %d teal pixels", n)
		}
		if why == "" {
			break
		}
		if time.Now().After(deadline) {
			dir, _ := artifacts()
			t.Fatalf("desktop: %s\nscreen: %s (artifacts in %s)", why, saveArtifact(t, "away.png", s.png), dir)
		}
	}
}

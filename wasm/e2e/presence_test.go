//go:build !js

package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/hub"
	"checkgrid/server/peer"
)

// Where players look, on the main view (issue 24): zoomed out to the whole
// grid, the presence cells with viewers are outlined on the grid itself,
// not only on the minimap.

// viewers connects n version-2 protocol clients looking at area a, each
// reading its frames until the test ends, and returns a function that
// closes them.
func (s *server) viewers(t *testing.T, a protocol.Area, n int) (closeAll func()) {
	t.Helper()
	var vs []*peer.Peer
	done := make(chan struct{}, n)
	for range n {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		v, err := peer.DialArea(ctx, s.WS, a, peer.Options{Client: s.client})
		cancel()
		if err != nil {
			t.Fatalf("viewer at %+v: %v", a, err)
		}
		vs = append(vs, v)
		go func() {
			defer func() { done <- struct{}{} }()
			for {
				if _, err := v.Next(context.Background()); err != nil {
					return
				}
			}
		}()
	}
	closed := false
	closeAll = func() {
		if closed {
			return
		}
		closed = true
		for _, v := range vs {
			v.Conn.CloseNow()
		}
		for range vs {
			<-done
		}
	}
	t.Cleanup(closeAll)
	return closeAll
}

// cellEdge is the screen pixel just inside the left edge of the presence
// cell holding box (x, y), half way down it: where its outline is drawn.
// mid is the cell's middle, which the outline leaves alone.
func cellEdge(v view, x, y int) (edge, mid [2]int) {
	c := hub.PresenceCell
	x0, y0 := v.boxOrigin(x/c*c, y/c*c)
	x1, y1 := v.boxOrigin(x/c*c+c, y/c*c+c)
	ym := int((y0 + y1) / 2)
	return [2]int{int(x0) + 1, ym}, [2]int{int((x0 + x1) / 2), ym}
}

// warm is the presence colour test of the minimap's (heatAt): orange, not
// the grid's grey, blue or a change's yellow.
func warm(s shot, p [2]int) (bool, string) {
	r, g, b := s.rgb(p[0], p[1])
	return r > b+40 && r > g+15, fmt.Sprintf("pixel (%d,%d) = %.0f,%.0f,%.0f", p[0], p[1], r, g, b)
}

// TestPresenceOnTheMainView: one viewer at one place and three at another
// (plain version-2 protocol clients); a page at Fit, which itself counts
// nowhere, shows both cells outlined on its main view, the cells' middles
// and an empty cell not; when the lone viewer leaves, its outline goes.
func TestPresenceOnTheMainView(t *testing.T) {
	srv := startServer(t)
	lone := protocol.Area{X: 400, Y: 400, W: 30, H: 20} // centre (415,410): cell (10,10)
	busy := protocol.Area{X: 645, Y: 285, W: 30, H: 20} // centre (660,295): cell (16,7), 3 viewers
	const coldX, coldY = 560, 600                       // cell (14,15): nobody
	leave := srv.viewers(t, lone, 1)
	srv.viewers(t, busy, 3)

	p := newBrowser(t).open("page", srv.URL+"/")
	p.waitReady()
	p.press("F")
	h := p.waitHooks("the whole grid", 5*time.Second, func(h hooks) bool { return h.Zoom > 0 && h.Zoom < 1 })
	v := viewOf(h, screenW, screenH, 1)
	loneEdge, loneMid := cellEdge(v, 415, 410)
	busyEdge, busyMid := cellEdge(v, 660, 295)
	coldEdge, _ := cellEdge(v, coldX, coldY)
	p.waitPixels("both watched cells outlined at Fit", time.Now(), 15*time.Second, func(s shot) string {
		for _, c := range []struct {
			what string
			at   [2]int
			want bool
		}{
			{"the lone viewer's cell edge", loneEdge, true},
			{"the three viewers' cell edge", busyEdge, true},
			{"the lone viewer's cell middle", loneMid, false},
			{"the three viewers' cell middle", busyMid, false},
			{"an empty cell's edge", coldEdge, false},
		} {
			if got, d := warm(s, c.at); got != c.want {
				return fmt.Sprintf("%s: warm %v, want %v (%s)", c.what, got, c.want, d)
			}
		}
		return ""
	})
	leave()
	p.waitPixels("the cell the lone viewer left cools", time.Now(), 15*time.Second, func(s shot) string {
		if got, d := warm(s, loneEdge); got {
			return "still outlined: " + d
		}
		if got, d := warm(s, busyEdge); !got {
			return "the busy cell lost its outline: " + d
		}
		return ""
	})
}

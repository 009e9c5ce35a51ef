//go:build !js

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// announcePixels counts the announcement banner's violet (#5b2c8f) on
// the screen, and returns the box around them.
func announcePixels(s shot) (int, image.Rectangle) {
	w, h := s.size()
	n := 0
	var box image.Rectangle
	for y := range h {
		for x := range w {
			R, G, B := s.rgb(x, y)
			if abs(R-0x5b) <= 4 && abs(G-0x2c) <= 4 && abs(B-0x8f) <= 4 {
				n++
				box = box.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return n, box
}

func abs(f float64) float64 { return max(f, -f) }

// announce posts an announcement to srv's admin listener with its token.
func announce(t *testing.T, srv *server, text string) {
	t.Helper()
	url, token := adminOf(t, srv)
	body, _ := json.Marshal(map[string]string{"text": text, "for": "10m"})
	req, _ := http.NewRequest("POST", url+"/api/admin/announce", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("announce: %s", resp.Status)
	}
}

// TestAnnouncementBanner: the operator's announcement shows as a banner
// on an open page and on one opened afterwards, is said in the live
// region, and goes from a page when its player clicks it; the click does
// not reach the grid.
func TestAnnouncementBanner(t *testing.T) {
	srv := startServer(t, "-admin", "127.0.0.1:0")
	b := newBrowser(t)
	v := browserView(300, 300, 24)
	first := b.open("first", srv.URL+"/"+v.link())
	first.waitReady()
	if n, _ := announcePixels(mustShot(first)); n > 0 {
		first.fail("%d announcement pixels before any announcement", n)
	}
	const text = "The grid freezes at 18:00 UTC for the finale"
	announce(t, srv, text)
	banner := func(p *page) image.Rectangle {
		var box image.Rectangle
		p.waitPixels("the announcement banner", time.Now(), 10*time.Second, func(s shot) string {
			var n int
			n, box = announcePixels(s)
			if n < 4000 {
				return fmt.Sprintf("%d announcement pixels, want ≥ 4000", n)
			}
			return ""
		})
		p.waitHooks("the announcement in the page's live region", 5*time.Second, func(hooks) bool {
			return strings.Contains(p.liveText(), "Announcement: "+text)
		})
		return box
	}
	box := banner(first)
	second := b.open("second", srv.URL+"/"+v.link())
	second.waitReady()
	banner(second)

	c := restOnBanner(first, box)
	first.click(float64(c.X), float64(c.Y))
	first.waitPixels("no banner after a click on it", time.Now(), 10*time.Second, func(s shot) string {
		if n, _ := announcePixels(s); n > 0 {
			return fmt.Sprintf("%d announcement pixels after the click", n)
		}
		return ""
	})
	if _, seq := srv.snapshot(); seq != 0 {
		first.fail("the click on the banner reached the grid (server at seq %d)", seq)
	}
	if n, _ := announcePixels(mustShot(second)); n < 4000 {
		second.fail("the other page lost its banner (%d pixels)", n)
	}
}

// restOnBanner rests the mouse on the middle of the banner (box), as a
// player does before clicking it, and returns that point once the page
// has settled: the hover lines shown (at once), and the box's history
// line too (once the pointer has rested, boxInfoDelay, and the server has
// answered). On this narrow page the banner sits under the title panel;
// the hover lines go bottom-left, so the banner must not move from under
// the resting pointer (it did when they grew the title panel, and a
// click aimed at the banner then went to the grid).
func restOnBanner(p *page, box image.Rectangle) image.Point {
	p.t.Helper()
	c := box.Min.Add(box.Max).Div(2)
	p.mouseButtons(chromedp.MouseMoved, float64(c.X), float64(c.Y), 0, 0)
	p.waitFrames(2) // the client has seen the move: the hook speaks of the box under c
	p.waitHooks("the history line of the box under the pointer", 10*time.Second, func(h hooks) bool { return h.HoverInfo != "" })
	p.waitFrames(1) // and the HUD has been laid out with it
	n, at := announcePixels(mustShot(p))
	if n < 4000 {
		p.fail("%d announcement pixels with the pointer on the banner, want ≥ 4000", n)
	}
	if at.Min.Y != box.Min.Y {
		p.fail("the banner moved under the resting pointer: from %v to %v", box, at)
	}
	return c
}

// mustShot takes a screenshot or fails the test.
func mustShot(p *page) shot {
	p.t.Helper()
	s, err := p.screenshot()
	if err != nil {
		p.fail("screenshot: %v", err)
	}
	return s
}

// liveText is the page's live region's text ("" if it cannot be read).
func (p *page) liveText() string {
	s, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`(document.getElementById("live") || {}).textContent || ""`))
	if err != nil {
		return ""
	}
	return s
}

//go:build !js

package e2e

import (
	"fmt"
	"image"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"checkgrid/protocol"
)

// The operator console (issue 23): the game opened on the admin listener
// with #admin=<token> gains the moderation tool; without a valid token,
// or on the public listener, it does not.

// opHooks mirrors window.checkgrid.op.
type opHooks struct {
	On        bool    `json:"on"`
	Refused   bool    `json:"refused"`
	Selecting bool    `json:"selecting"`
	Area      string  `json:"area"`
	Preview   int     `json:"preview"`
	To        float64 `json:"to"`
	Busy      bool    `json:"busy"`
	Done      int     `json:"done"`
	Said      string  `json:"said"`
	Seq       float64 `json:"seq"`
}

// adminAddrRE finds the admin listener's address in the server's log.
var adminAddrRE = regexp.MustCompile(`msg="admin listening" addr=(\S+)`)

// adminOf is srv's admin listener (http://host:port) and operator token.
func adminOf(t *testing.T, srv *server) (url, token string) {
	t.Helper()
	m := adminAddrRE.FindStringSubmatch(srv.logs.String())
	if m == nil {
		t.Fatalf("no admin listener in the log:\n%s", srv.logs.String())
	}
	tok, err := os.ReadFile(filepath.Join(srv.data, "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	return "http://" + m[1], strings.TrimSpace(string(tok))
}

// clickElement clicks the middle of the element with id, as a mouse would.
func (p *page) clickElement(id string) {
	p.t.Helper()
	r := p.elementRect(id)
	if r.W == 0 || r.H == 0 {
		p.fail("#%s is not shown", id)
	}
	p.click(r.X+r.W/2, r.Y+r.H/2)
}

// hidden reports whether the element with id is hidden (or absent).
func (p *page) hidden(id string) bool {
	p.t.Helper()
	r := p.elementRect(id)
	return r.W == 0 && r.H == 0
}

// TestOperatorConsole: a player vandalises a picture; the operator opens
// the console on the admin listener with the token, selects the rectangle
// on the canvas, previews the rollback to the seq before the vandalism
// (the count of boxes it changes) and applies it; an ordinary page sees
// the picture restored (pixels), the history API has the rollback as the
// change at its seq; Freeze refuses the player's click inside it (said in
// words) and not outside, Unfreeze, Clear and Fill act on it too. A page
// without the token or with a wrong one shows
// no tool, and the public listener answers no admin request.
func TestOperatorConsole(t *testing.T) {
	srv := startServer(t, "-admin", "127.0.0.1:0")
	adminURL, token := adminOf(t, srv)
	b := newBrowser(t)
	v := browserView(310, 298, 24)

	// The picture, then the vandalism over the whole rectangle.
	area := protocol.Area{X: 300, Y: 300, W: 8, H: 6}
	picture := map[uint32]bool{box(301, 301): true, box(303, 302): true, box(305, 304): true}
	w := srv.watch(t)
	before := commit(t, srv, w, on(301, 301), on(303, 302), on(305, 304))
	var scrawl []protocol.Change
	for y := 300; y < 306; y++ {
		for x := 300; x < 308; x++ {
			scrawl = append(scrawl, on(x, y))
		}
	}
	vandal := commit(t, srv, w, scrawl...)
	if vandal.LastSeq <= before.LastSeq {
		t.Fatalf("vandalism at seq %d, picture at %d", vandal.LastSeq, before.LastSeq)
	}

	op := b.open("operator", adminURL+"/"+v.link()+"&admin="+token)
	op.waitReady()
	op.waitHooks("the console accepts the token", 10*time.Second, func(h hooks) bool { return h.Op.On })
	if h, _ := op.hooks(); strings.Contains(fmt.Sprint(h), token) {
		op.fail("the token is in the page's hooks")
	}
	loc, err := chromedp.Run(op.ctx, chromedp.Evaluate[string](`location.href`))
	if err != nil || strings.Contains(loc, token) {
		op.fail("the token stays in the address bar: %q %v", loc, err)
	}

	op.clickElement("opselect")
	op.waitHooks("Select is on", 5*time.Second, func(h hooks) bool { return h.Op.Selecting })
	x0, y0 := v.centre(300, 300)
	x1, y1 := v.centre(307, 305)
	op.drag(x0, y0, x1, y1, 8, false)
	op.waitHooks("the rectangle selected", 5*time.Second, func(h hooks) bool {
		return h.Op.Area == "300,300,8,6" && !h.Op.Selecting
	})

	op.clickElement("opwhen")
	op.insertText(strconv.FormatUint(before.LastSeq, 10))
	done := mustHooks(op).Op.Done
	op.clickElement("oppreview")
	h := op.waitHooks("the preview", 10*time.Second, func(h hooks) bool { return h.Op.Done > done })
	want := int(area.W)*int(area.H) - len(picture)
	if h.Op.Preview != want || uint64(h.Op.To) != before.LastSeq {
		op.fail("preview %+v: want %d boxes to seq %d", h.Op, want, before.LastSeq)
	}
	// The preview draws the rectangle now (every box checked: solid blue)
	// beside then, at the top right, where the grid in view has no
	// checked box.
	right := image.Rect(screenW/2+10, 0, screenW, screenH)
	op.waitPixels("the preview images", time.Now(), 5*time.Second, func(s shot) string {
		if n := s.near(right, 0x1f, 0x6f, 0xeb, 8); n < 8000 {
			return fmt.Sprintf("%d checked-blue pixels on the right, want the 150×112 px image of the rectangle now", n)
		}
		return ""
	})

	done = h.Op.Done
	op.clickElement("oprollback")
	h = op.waitHooks("the rollback", 15*time.Second, func(h hooks) bool { return h.Op.Done > done })
	if !strings.HasPrefix(h.Op.Said, fmt.Sprintf("Rolled back %d boxes to seq %d", want, before.LastSeq)) || h.Op.Seq <= float64(vandal.LastSeq) {
		op.fail("rollback: %+v", h.Op)
	}
	if live := op.liveText(); !strings.HasPrefix(live, "Rolled back") {
		op.fail("live region %q, want the rollback said", live)
	}
	rolled := uint64(h.Op.Seq)

	// An ordinary page sees the picture again.
	pv := browserView(303, 302, 24)
	var expects []expect
	for y := 300; y < 306; y++ {
		for x := 300; x < 308; x++ {
			l := lookUnchecked
			if picture[box(x, y)] {
				l = lookChecked
			}
			expects = append(expects, expect{x, y, l})
		}
	}
	player := b.open("player", srv.URL+"/"+pv.link())
	wrong := b.open("wrong-token", adminURL+"/"+v.link()+"&admin="+strings.Repeat("0", len(token)))
	player.waitReady()
	player.waitPixels("the picture restored", time.Now(), 10*time.Second, func(s shot) string { return s.check(pv, expects) })

	// The other buttons on the same rectangle. Freeze: the player's click
	// inside is refused with the reason in words, one outside plays;
	// Unfreeze lifts it; Clear and Fill set every box of it.
	act := func(button, said string) {
		t.Helper()
		done := mustHooks(op).Op.Done
		op.clickElement(button)
		h := op.waitHooks(button, 15*time.Second, func(h hooks) bool { return h.Op.Done > done })
		if !strings.HasPrefix(h.Op.Said, said) {
			op.fail("%s: said %q, want %q…", button, h.Op.Said, said)
		}
	}
	act("opfreeze", "Froze the rectangle")
	player.click(pv.centre(302, 300))
	player.waitHooks("the frozen refusal in words", 10*time.Second, func(h hooks) bool {
		return h.Limit == "frozen" && strings.Contains(h.Message, "frozen by the operator")
	})
	player.click(pv.centre(309, 302))
	w.waitBox(box(309, 302), true, 5*time.Second)
	w.mu.Lock()
	inside := w.p.Grid.Get(box(302, 300))
	w.mu.Unlock()
	if inside { // its click came first: had it passed, it would be in by now
		t.Fatal("a box inside the frozen rectangle changed")
	}
	act("opunfreeze", "Lifted 1 freezes")
	act("opclear", "Cleared 3 boxes")
	w.waitBox(box(301, 301), false, 5*time.Second)
	act("opfill", "Checked 48 boxes")
	w.waitBox(box(300, 300), true, 5*time.Second)

	// History: the rectangle is the picture at the rollback's seq and the
	// vandalism one seq before.
	at := func(seq uint64) *protocol.Bitset {
		snap, err := protocol.DecodeSnapshot(srv.get("/api/history/snapshot?seq=" + strconv.FormatUint(seq, 10)))
		g := new(protocol.Bitset)
		if err == nil {
			err = snap.Bits(g)
		}
		if err != nil {
			t.Fatalf("history at seq %d: %v", seq, err)
		}
		return g
	}
	now, then := at(rolled), at(rolled-1)
	for y := 300; y < 306; y++ {
		for x := 300; x < 308; x++ {
			i := box(x, y)
			if now.Get(i) != picture[i] || !then.Get(i) {
				t.Fatalf("history: box %d,%d is %v at the rollback's seq %d and %v before, want %v and true", x, y, now.Get(i), rolled, then.Get(i), picture[i])
			}
		}
	}

	// No tool without the token (the player's page), with a wrong one,
	// and the public listener answers no admin request at all.
	if h := mustHooks(player); h.Op.On || h.Op.Refused || !player.hidden("oppanel") {
		player.fail("a page without the token: %+v, panel hidden %v", h.Op, player.hidden("oppanel"))
	}
	wrong.waitReady()
	wrong.waitHooks("the wrong token refused", 10*time.Second, func(h hooks) bool { return h.Op.Refused })
	if h := mustHooks(wrong); h.Op.On || !wrong.hidden("oppanel") {
		wrong.fail("no tool expected with a wrong token: %+v", h.Op)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/api/admin/stats", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("the public listener answered an admin request with the token: %s", resp.Status)
	}
}

// mustHooks reads window.checkgrid or fails.
func mustHooks(p *page) hooks {
	p.t.Helper()
	h, err := p.hooks()
	if err != nil {
		p.fail("hooks: %v", err)
	}
	return h
}

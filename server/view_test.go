package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/hub"
	"checkgrid/server/identity"
	"checkgrid/server/peer"

	"github.com/coder/websocket"
)

// The version is asked for in the URL, never guessed: none or 1 gets
// version 1, 2 gets version 2 (with its area), anything else is closed
// with 4004 after the upgrade, and a bad area with 4000.
func TestVersionNegotiation(t *testing.T) {
	ts := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, u := range []string{ts.WS, ts.WS + "?v=1", ts.WS + "?v=1&area=0,0,10,10"} {
		p, err := peer.Dial(ctx, u, peer.Options{})
		if err != nil {
			t.Fatalf("%s: %v", u, err)
		}
		if p.Welcome.Version != protocol.Version1 {
			t.Fatalf("%s: welcome version %d", u, p.Welcome.Version)
		}
		p.Close()
	}
	a := protocol.Area{X: 10, Y: 20, W: 30, H: 40}
	v, err := peer.DialArea(ctx, ts.WS, a, peer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if v.Area != a || v.Frames(protocol.TypeAreaSnapshot) != 1 || v.Welcome.MaxConnsPerAddr != 32 || v.Welcome.ViewportInterval != 200 {
		t.Fatalf("v2 area %+v, %d area snapshots, welcome %+v", v.Area, v.Frames(protocol.TypeAreaSnapshot), v.Welcome)
	}
	v.Close()
}

// queryRowRE is a row of PROTOCOL.md's table of /ws queries ("Connection").
var queryRowRE = regexp.MustCompile("(?m)^\\| (\\(none\\)|`[^`]*`) \\| (Welcome 1|Welcome [23], whole grid|Welcome 2, area (\\d+),(\\d+),(\\d+),(\\d+)|close (400[04])) \\|")

// TestQueryRule asks a real server for every query of PROTOCOL.md's table
// (the one rule for the /ws query) and checks its answer: an upgrade
// (101) always, then the Welcome and first snapshot the row says, or the
// close code (with the versions spoken as 4004's reason).
func TestQueryRule(t *testing.T) {
	doc, err := os.ReadFile("../protocol/PROTOCOL.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := queryRowRE.FindAllStringSubmatch(string(doc), -1)
	// The odd queries an outside client had to guess about (issue 19).
	for _, q := range []string{"`v=abc`", "`v=+2`", "`v=0`", "`v=`", "`v=02`", "`v=2&v=2`", "`v=2&area=`",
		"`v=2&area=1;2;3;4`", "`v=2&area=01,2,3,4`", "`v=2&area=%2B1,2,3,4`", "`v=2&area=1,2,3,4&area=1,2,3,4`", "`area=0,0,10,10`", "`v=3`", "`v=4`"} {
		if !slices.ContainsFunc(rows, func(r []string) bool { return r[1] == q }) {
			t.Errorf("PROTOCOL.md's query table has no row for %s", q)
		}
	}
	ts := startServer(t, looseLimits...)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, r := range rows {
		q := strings.Trim(r[1], "`")
		u := ts.WS
		if q != "(none)" {
			u += "?" + q
		}
		c, resp, err := websocket.Dial(ctx, u, nil)
		if err != nil {
			t.Errorf("%s: dial: %v", q, err)
			continue
		}
		if resp.StatusCode != http.StatusSwitchingProtocols {
			t.Errorf("%s: HTTP %d, want 101", q, resp.StatusCode)
		}
		_, f, err := c.Read(ctx)
		if r[7] != "" {
			var ce websocket.CloseError
			if !errors.As(err, &ce) || strconv.Itoa(int(ce.Code)) != r[7] {
				t.Errorf("%s: got %v (frame % x), want close %s", q, err, f, r[7])
			} else if ce.Code == websocket.StatusCode(protocol.CloseVersion) && !strings.Contains(ce.Reason, "this server speaks v=1 or v=2 or v=3") {
				t.Errorf("%s: 4004's reason %q does not name the versions", q, ce.Reason)
			}
			c.CloseNow()
			continue
		}
		if err != nil {
			t.Errorf("%s: %v, want %s", q, err, r[2])
			c.CloseNow()
			continue
		}
		w, err := protocol.DecodeWelcome(f)
		if want := r[2][len("Welcome ")]; err != nil || w.Version != want-'0' {
			t.Errorf("%s: welcome %+v %v, want %s", q, w, err, r[2])
			c.CloseNow()
			continue
		}
		_, f, err = c.Read(ctx)
		switch {
		case err != nil:
			t.Errorf("%s: after Welcome: %v", q, err)
		case r[3] != "":
			s, err := protocol.DecodeAreaSnapshot(f)
			want := fmt.Sprintf("%s,%s,%s,%s", r[3], r[4], r[5], r[6])
			if got := fmt.Sprintf("%d,%d,%d,%d", s.Area.X, s.Area.Y, s.Area.W, s.Area.H); err != nil || got != want {
				t.Errorf("%s: first frame %v %v, want the AreaSnapshot of %s", q, got, err, want)
			}
		default: // version 1 or the whole grid: a Snapshot
			if _, err := protocol.DecodeSnapshot(f); err != nil {
				t.Errorf("%s: first frame: %v, want a Snapshot", q, err)
			}
		}
		c.CloseNow()
	}
	if len(rows) < 30 {
		t.Fatalf("PROTOCOL.md's query table has %d rows", len(rows))
	}
}

// Players pan and zoom continuously while others draw. At the end each
// one's boxes inside its last area equal /api/snapshot's, no frame ever
// failed to follow (no gap, not even one to repair), and a zoomed-in
// player received fewer frames than a whole-grid one.
func TestViewersPanWhileOthersDraw(t *testing.T) {
	ts := startServer(t, append(looseLimits, "-rate", "65535", "-burst", "65535", "-tick", "10ms")...)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const viewers, drawers = 8, 4
	vs := make([]*peer.Peer, viewers)
	for i := range vs {
		var a protocol.Area
		if i%4 != 3 { // every fourth watches the whole grid
			a = protocol.Area{X: uint16(100 * i), Y: uint16(100 * i), W: 64, H: 40}
		}
		v, err := peer.DialArea(ctx, ts.WS, a, peer.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { v.Conn.CloseNow() })
		vs[i] = v
	}
	drawing := make(chan struct{})
	var dw sync.WaitGroup
	for d := range drawers {
		p := ts.dial(ctx)
		dw.Add(1)
		go func() {
			defer dw.Done()
			r := rand.New(rand.NewPCG(uint64(d), 7))
			for {
				select {
				case <-drawing:
					return
				default:
				}
				// A short stroke near where someone looks, so areas see changes.
				x, y := 100*r.IntN(viewers)+r.IntN(120), 100*r.IntN(viewers)+r.IntN(80)
				var ch []protocol.Change
				for k := range 1 + r.IntN(8) {
					if x+k < protocol.GridWidth && y < protocol.GridHeight {
						ch = append(ch, protocol.Change{Index: uint32(y*protocol.GridWidth + x + k), Value: r.IntN(3) != 0})
					}
				}
				if err := p.Set(ctx, ch...); err != nil {
					return
				}
				time.Sleep(time.Duration(1+r.IntN(4)) * time.Millisecond)
			}
		}()
		go func() { // drain its frames
			for {
				if _, err := p.Next(ctx); err != nil {
					return
				}
			}
		}()
	}
	// Each viewer reads on its own goroutine; the test moves it from
	// another, as a throttled client would.
	errs := make(chan error, viewers)
	var rw sync.WaitGroup
	quiet := make(chan struct{})
	for _, v := range vs {
		rw.Add(1)
		go func() {
			defer rw.Done()
			for {
				rctx, rcancel := context.WithTimeout(ctx, 700*time.Millisecond)
				_, err := v.Next(rctx)
				rcancel()
				if err != nil {
					select {
					case <-quiet:
						if errors.Is(err, context.DeadlineExceeded) {
							return // nothing more after the drawing stopped
						}
					default:
						if errors.Is(err, context.DeadlineExceeded) {
							continue
						}
					}
					errs <- err
					return
				}
			}
		}()
	}
	r := rand.New(rand.NewPCG(3, 3))
	asked := make([]protocol.Area, viewers) // what each mover asked for last (the reader owns v.Area)
	for i := range asked {
		asked[i] = protocol.Area{X: uint16(100 * i), Y: uint16(100 * i), W: 64, H: 40}
	}
	for step := range 60 {
		for i, v := range vs {
			if i%4 == 3 {
				continue
			}
			a := asked[i]
			switch r.IntN(6) {
			case 0: // zoom out
				a.W, a.H = min(a.W*2, 800), min(a.H*2, 500)
			case 1: // zoom in
				a.W, a.H = max(a.W/2, 16), max(a.H/2, 10)
			default: // pan
				a.X = uint16(max(0, int(a.X)+r.IntN(41)-20))
				a.Y = uint16(max(0, int(a.Y)+r.IntN(41)-20))
			}
			a.X, a.Y = min(a.X, protocol.GridWidth-a.W), min(a.Y, protocol.GridHeight-a.H)
			if step == 59 {
				a = protocol.Area{X: uint16(100 * i), Y: uint16(100 * i), W: 64, H: 40} // end where the drawing is
			}
			asked[i] = a
			if err := v.Move(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(40 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // the last moves apply
	close(drawing)
	dw.Wait()
	close(quiet)
	rw.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("viewer: %v", err)
	}
	want, seq := ts.snapshot()
	for i, v := range vs {
		if v.Gaps() != 0 {
			t.Errorf("viewer %d: %d frames did not follow", i, v.Gaps())
		}
		if !v.Synced() || v.Seq > seq {
			t.Fatalf("viewer %d: synced %v at seq %d, server at %d", i, v.Synced(), v.Seq, seq)
		}
		n := 0
		for b := uint32(0); b < protocol.Boxes; b++ {
			if v.Known(b) {
				n++
				if v.Grid.Get(b) != want.Get(b) {
					t.Fatalf("viewer %d: box %d inside %+v differs from /api/snapshot", i, b, v.Area)
				}
			}
		}
		if n != v.Area.Boxes() {
			t.Fatalf("viewer %d knows %d boxes of an area of %d", i, n, v.Area.Boxes())
		}
		frames, bytes := v.Received()
		t.Logf("viewer %d: area %+v, %d area snapshots, %d area deltas, %d deltas, %d frames, %d bytes", i, v.Area,
			v.Frames(protocol.TypeAreaSnapshot), v.Frames(protocol.TypeAreaDelta), v.Frames(protocol.TypeDelta), frames, bytes)
	}
	if vs[0].Frames(protocol.TypeAreaSnapshot) < 10 {
		t.Errorf("viewer 0 moved only %d times", vs[0].Frames(protocol.TypeAreaSnapshot))
	}
	whole, zoomed := vs[3].Frames(protocol.TypeDelta), vs[0].Frames(protocol.TypeAreaDelta)
	if whole == 0 || zoomed >= whole {
		t.Errorf("zoomed-in viewer got %d area deltas, the whole-grid one %d deltas", zoomed, whole)
	}
}

// Presence counts viewers by the centre of their area, says "some" for one
// or two, reaches every version-2 client (zoomed out too), and cools when a
// page leaves; Stats counts players: two pages with one identity are one.
func TestPresenceAndPlayers(t *testing.T) {
	ts := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := http.Get(ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var hdr http.Header
	for _, c := range resp.Cookies() {
		if c.Name == identity.Cookie {
			hdr = http.Header{"Cookie": {c.String()}}
		}
	}
	if hdr == nil {
		t.Fatal("no identity cookie")
	}
	places := []protocol.Area{{X: 100, Y: 100, W: 40, H: 25}, {X: 500, Y: 300, W: 40, H: 25}, {X: 800, Y: 900, W: 40, H: 25}}
	var vs []*peer.Peer
	for i, a := range places {
		opt := peer.Options{}
		if i == 0 {
			opt.Header = hdr
		}
		v, err := peer.DialArea(ctx, ts.WS, a, opt)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { v.Conn.CloseNow() })
		vs = append(vs, v)
	}
	zoomedOut, err := peer.DialArea(ctx, ts.WS, protocol.Area{}, peer.Options{Header: hdr}) // the first player's second tab
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { zoomedOut.Conn.CloseNow() })
	cell := func(a protocol.Area) int {
		return protocol.CellOf(hub.PresenceCell, int(a.X)+int(a.W)/2, int(a.Y)+int(a.H)/2)
	}
	warm := func(v *peer.Peer) int {
		n := 0
		for _, c := range v.Presence.Counts {
			if c != 0 {
				n++
			}
		}
		return n
	}
	for _, v := range append(vs, zoomedOut) {
		for warm(v) != 3 || v.Stats.Online != 3 {
			if _, err := v.Next(ctx); err != nil {
				t.Fatal(err)
			}
		}
		for _, a := range places {
			if v.Presence.Counts[cell(a)] != protocol.PresenceSome {
				t.Fatalf("cell of %+v: %d", a, v.Presence.Counts[cell(a)])
			}
		}
	}
	var st hub.Stats
	getJSON(t, ts.URL+"/api/stats", &st)
	if st.Online != 3 || st.Connections != 4 {
		t.Fatalf("/api/stats: %d players, %d connections; want 3 and 4", st.Online, st.Connections)
	}
	vs[2].Close()
	for warm(vs[0]) != 2 {
		if _, err := vs[0].Next(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if vs[0].Presence.Counts[cell(places[2])] != 0 {
		t.Fatal("the cell of the page that left is still warm")
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

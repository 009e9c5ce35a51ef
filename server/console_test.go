package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/admin"
	"checkgrid/server/peer"
)

// console is the operator's side of a test server: its admin listener and
// token.
type console struct {
	t     *testing.T
	ts    *testServer
	URL   string // http://127.0.0.1:port of the admin listener
	Token string
}

// startConsole runs a server with the admin listener on a loopback port
// and reads the token it made in its data directory.
func startConsole(t *testing.T, args ...string) *console {
	t.Helper()
	ts := startServer(t, append([]string{"-admin", "127.0.0.1:0"}, args...)...)
	tok, err := os.ReadFile(filepath.Join(ts.Data, admin.TokenFile))
	if err != nil {
		t.Fatal(err)
	}
	return &console{t: t, ts: ts, URL: "http://" + logAddr(t, ts, "admin listening"), Token: strings.TrimSpace(string(tok))}
}

// do sends an admin request with the token (unless hdr sets Authorization
// itself, "" to send none) and returns the status and body. hdr are
// name, value pairs; "Host" sets the request's Host.
func (c *console) do(method, path string, body any, hdr ...string) (int, []byte) {
	c.t.Helper()
	return c.doAt(c.URL, method, path, body, hdr...)
}

func (c *console) doAt(base, method, path string, body any, hdr ...string) (int, []byte) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	for i := 0; i+1 < len(hdr); i += 2 {
		switch {
		case hdr[i] == "Host":
			req.Host = hdr[i+1]
		case hdr[i+1] == "":
			req.Header.Del(hdr[i])
		default:
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// audit returns the audit log's entries.
func (c *console) audit() []admin.Entry {
	c.t.Helper()
	f, err := os.Open(filepath.Join(c.ts.Data, admin.AuditFile))
	if err != nil {
		c.t.Fatal(err)
	}
	defer f.Close()
	var out []admin.Entry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e admin.Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			c.t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		out = append(out, e)
	}
	return out
}

// endpoint is one admin API route with a valid request and its answer.
type endpoint struct {
	method, path string
	body         any
	ok           int
}

// adminEndpoints lists every /api/admin/ route, each with a request that
// the server would carry out (in this order: the DELETEs name the rules
// made just before): the security test must cover each.
func adminEndpoints() []endpoint {
	return []endpoint{
		{"POST", "/api/admin/fill", map[string]any{"area": "0,0,2,2", "value": true}, 200},
		{"GET", "/api/admin/rollback?area=0,0,2,2&seq=1", nil, 200},
		{"POST", "/api/admin/rollback", map[string]any{"area": "0,0,2,2", "seq": "1"}, 200},
		{"GET", "/api/admin/area.png?area=0,0,2,2", nil, 200},
		{"GET", "/api/admin/freezes", nil, 200},
		{"POST", "/api/admin/freezes", map[string]any{"area": "900,900,2,2"}, 200},
		{"DELETE", "/api/admin/freezes/1", nil, 200},
		{"GET", "/api/admin/bans", nil, 200},
		{"POST", "/api/admin/bans", map[string]any{"prefix": "10.9.0.0/16", "for": "1m"}, 200},
		{"DELETE", "/api/admin/bans/2", nil, 200},
		{"POST", "/api/admin/announce", map[string]any{"text": "hello", "for": "1m"}, 200},
		{"GET", "/api/admin/announce", nil, 200},
		{"DELETE", "/api/admin/announce", nil, 200},
		{"GET", "/api/admin/bots", nil, 200},
		{"POST", "/api/admin/bots", map[string]any{"name": "bot"}, 200},
		{"DELETE", "/api/admin/bots/1", nil, 200},
		{"GET", "/api/admin/top", nil, 200},
		{"GET", "/api/admin/stats", nil, 200},
	}
}

// TestAdminRefusesWithoutToken: every admin endpoint refuses a request
// with no token, a wrong one, the token in a cookie, and one for another
// Host (DNS rebinding); the public listener does not serve them at all;
// the same request with the token in its header is carried out. /metrics
// on the admin listener also answers only its own Host.
func TestAdminRefusesWithoutToken(t *testing.T) {
	c := startConsole(t, "-admin-host", "console.internal", "-admin-rate", "1000")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p := c.ts.dial(ctx)
	flip(t, ctx, p, 500_500) // seq 1 exists for the rollback requests
	for _, e := range adminEndpoints() {
		cases := []struct {
			name string
			base string
			hdr  []string
			want int
		}{
			{"no token", c.URL, []string{"Authorization", ""}, http.StatusUnauthorized},
			{"wrong token", c.URL, []string{"Authorization", "Bearer " + strings.Repeat("0", len(c.Token))}, http.StatusUnauthorized},
			{"token not bearer", c.URL, []string{"Authorization", c.Token}, http.StatusUnauthorized},
			{"token in a cookie", c.URL, []string{"Authorization", "", "Cookie", "Authorization=Bearer " + c.Token + "; token=" + c.Token + "; admin=" + c.Token}, http.StatusUnauthorized},
			{"rebound host", c.URL, []string{"Host", "evil.example:" + c.URL[strings.LastIndex(c.URL, ":")+1:]}, http.StatusMisdirectedRequest},
			{"public listener", c.ts.URL, nil, http.StatusNotFound},
		}
		for _, k := range cases {
			code, body := c.doAt(k.base, e.method, e.path, e.body, k.hdr...)
			if code != k.want {
				t.Errorf("%s %s, %s: %d %s, want %d", e.method, e.path, k.name, code, body, k.want)
			}
		}
		if code, body := c.do(e.method, e.path, e.body, "Host", "console.internal:1"); code != e.ok {
			t.Errorf("%s %s with the token and a configured Host: %d %s", e.method, e.path, code, body)
		}
	}
	if code, _ := c.do("GET", "/metrics", nil, "Host", "evil.example"); code != http.StatusMisdirectedRequest {
		t.Errorf("/metrics for another Host: %d, want 421", code)
	}
	if code, _ := c.do("GET", "/metrics", nil, "Host", strings.TrimPrefix(c.URL, "http://")); code != http.StatusOK {
		t.Errorf("/metrics for the listener's own address: %d", code)
	}
	if got := c.ts.metric(`checkgrid_admin_refused_total{reason="token"}`); got != 0 {
		t.Errorf("the public listener serves admin metrics? %v", got)
	}
}

// TestAdminRateLimited: past its burst, the admin API answers 429 with
// Retry-After, wrong tokens included (a guesser pays it too), and counts
// the refusals.
func TestAdminRateLimited(t *testing.T) {
	c := startConsole(t)
	limited := 0
	for range 100 {
		code, _ := c.do("GET", "/api/admin/area.png?area=0,0,1,1", nil, "Authorization", "Bearer wrong")
		if code == http.StatusTooManyRequests {
			limited++
		} else if code != http.StatusUnauthorized {
			t.Fatalf("status %d", code)
		}
	}
	if limited < 50 {
		t.Fatalf("%d of 100 quick requests refused for rate, want most past the burst of 40", limited)
	}
	resp, err := http.Get(c.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `checkgrid_admin_refused_total{reason="rate"} `+strconv.Itoa(limited)) {
		t.Errorf("admin_refused_total{reason=rate} is not %d:\n%s", limited, grepLines(string(b), "admin_refused"))
	}
}

// draw sets every box of a to v(i) through p, in Sets of at most 256
// boxes, and waits until p has seen them all.
func draw(t *testing.T, ctx context.Context, p *peer.Peer, a protocol.Area, v func(i uint32) bool) {
	t.Helper()
	var batch []protocol.Change
	send := func() {
		if err := p.Set(ctx, batch...); err != nil {
			t.Fatal(err)
		}
		batch = batch[:0]
	}
	for y := uint32(a.Y); y < uint32(a.Y+a.H); y++ {
		for x := uint32(a.X); x < uint32(a.X+a.W); x++ {
			if batch = append(batch, protocol.Change{Index: y*1000 + x, Value: v(y*1000 + x)}); len(batch) == 256 {
				send()
			}
		}
	}
	if len(batch) > 0 {
		send()
	}
	waitArea(t, ctx, p, a, v)
}

// waitArea reads p's frames until its boxes of a are v(i).
func waitArea(t *testing.T, ctx context.Context, p *peer.Peer, a protocol.Area, v func(i uint32) bool) {
	t.Helper()
	for {
		same := true
		for y := uint32(a.Y); y < uint32(a.Y+a.H) && same; y++ {
			for x := uint32(a.X); x < uint32(a.X+a.W); x++ {
				if p.Grid.Get(y*1000+x) != v(y*1000+x) {
					same = false
					break
				}
			}
		}
		if same {
			return
		}
		if _, err := p.Next(ctx); err != nil {
			t.Fatalf("waiting for area %v: %v", a, err)
		}
	}
}

// TestAdminRollbackRestoresVandalisedArea: a player draws a picture, a
// vandal scribbles over it and beyond; the preview counts exactly the
// boxes that differ inside the area, the rollback restores them (and only
// them: the vandal's boxes outside stay), a watching player sees it as an
// ordinary Delta, the history API has it at the seq the answer names, and
// the audit log says who did what to how many boxes. Fill and clear act
// the same way.
func TestAdminRollbackRestoresVandalisedArea(t *testing.T) {
	c := startConsole(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	artist, vandal, watcher := c.ts.dial(ctx), c.ts.dial(ctx), c.ts.dial(ctx)
	area := protocol.Area{X: 100, Y: 200, W: 20, H: 10}
	picture := func(i uint32) bool { return (i%1000+i/1000)%3 == 0 }
	draw(t, ctx, artist, area, picture)
	before := artist.Seq
	scrawl := protocol.Area{X: 110, Y: 205, W: 15, H: 10} // overlaps the picture and goes past it
	draw(t, ctx, vandal, scrawl, func(uint32) bool { return true })
	converge(t, ctx, watcher, vandal.Seq)
	differ := 0
	for y := uint32(area.Y); y < uint32(area.Y+area.H); y++ {
		for x := uint32(area.X); x < uint32(area.X+area.W); x++ {
			if watcher.Grid.Get(y*1000+x) != picture(y*1000+x) {
				differ++
			}
		}
	}

	code, body := c.do("GET", "/api/admin/rollback?area=100,200,20,10&seq="+strconv.FormatUint(before, 10), nil)
	var pv admin.Preview
	if code != http.StatusOK || json.Unmarshal(body, &pv) != nil {
		t.Fatalf("preview: %d %s", code, body)
	}
	if pv.Boxes != differ || pv.To != before || differ == 0 {
		t.Fatalf("preview %+v, want %d boxes to seq %d", pv, differ, before)
	}
	for _, q := range []string{"", "&seq=" + strconv.FormatUint(before, 10)} {
		code, body := c.do("GET", "/api/admin/area.png?area=100,200,20,10"+q, nil)
		if code != http.StatusOK || !bytes.HasPrefix(body, []byte("\x89PNG")) {
			t.Fatalf("area image%s: %d %q", q, code, body[:min(len(body), 40)])
		}
	}

	code, body = c.do("POST", "/api/admin/rollback", map[string]any{"area": "100,200,20,10", "seq": strconv.FormatUint(before, 10)}, admin.HeaderOperator, "ada")
	var rb admin.RollbackResult
	if code != http.StatusOK || json.Unmarshal(body, &rb) != nil {
		t.Fatalf("rollback: %d %s", code, body)
	}
	if rb.Boxes != differ || rb.To != before || rb.Seq <= vandal.Seq {
		t.Fatalf("rollback %+v, want %d boxes, a seq after %d", rb, differ, vandal.Seq)
	}
	converge(t, ctx, watcher, rb.Seq)
	waitArea(t, ctx, watcher, area, picture)
	outside := protocol.Area{X: 120, Y: 210, W: 5, H: 5} // the scrawl past the picture stays
	waitArea(t, ctx, watcher, outside, func(uint32) bool { return true })

	// The history API has the rollback at its seq: the area is the picture
	// there, the vandalism one seq before the rollback's Delta.
	_, hdr, snap := hget(t, c.ts.URL+"/api/history/snapshot?seq="+strconv.FormatUint(rb.Seq, 10))
	s, err := protocol.DecodeSnapshot(snap)
	g := new(protocol.Bitset)
	if err == nil {
		err = s.Bits(g)
	}
	if err != nil || hdr.Get("X-Seq") != strconv.FormatUint(rb.Seq, 10) {
		t.Fatalf("history snapshot at %d: %v %v", rb.Seq, err, hdr)
	}
	for y := uint32(area.Y); y < uint32(area.Y+area.H); y++ {
		for x := uint32(area.X); x < uint32(area.X+area.W); x++ {
			if g.Get(y*1000+x) != picture(y*1000+x) {
				t.Fatalf("history at seq %d: box %d,%d is not the picture's", rb.Seq, x, y)
			}
		}
	}

	code, body = c.do("POST", "/api/admin/fill", map[string]any{"area": "0,0,10,10", "value": true})
	var fr admin.Result
	if code != http.StatusOK || json.Unmarshal(body, &fr) != nil || fr.Boxes != 100 {
		t.Fatalf("fill: %d %s", code, body)
	}
	converge(t, ctx, watcher, fr.Seq)
	waitArea(t, ctx, watcher, protocol.Area{W: 10, H: 10}, func(uint32) bool { return true })
	code, body = c.do("POST", "/api/admin/fill", map[string]any{"area": "0,0,10,5", "value": false})
	if code != http.StatusOK || json.Unmarshal(body, &fr) != nil || fr.Boxes != 50 {
		t.Fatalf("clear: %d %s", code, body)
	}

	log := c.audit()
	if len(log) != 3 {
		t.Fatalf("audit log has %d entries, want 3: %+v", len(log), log)
	}
	if e := log[0]; e.Action != "rollback" || e.Boxes != differ || e.Seq != rb.Seq || e.Area != "100,200,20,10" ||
		!strings.HasPrefix(e.Who, "ada@127.0.0.1:") || !strings.Contains(e.Detail, strconv.FormatUint(before, 10)) || time.Since(e.Time) > time.Minute {
		t.Errorf("audit entry %+v", e)
	}
	if log[1].Action != "fill" || log[1].Boxes != 100 || log[2].Action != "clear" || log[2].Boxes != 50 {
		t.Errorf("audit entries %+v", log[1:])
	}
}

// TestAdminBadRequests: each malformed admin request is a 4xx with its
// reason, and changes nothing.
func TestAdminBadRequests(t *testing.T) {
	c := startConsole(t)
	for _, k := range []struct {
		method, path string
		body         any
		want         int
	}{
		{"POST", "/api/admin/fill", map[string]any{"area": "0,0,0,1", "value": true}, 400},
		{"POST", "/api/admin/fill", map[string]any{"area": "999,0,2,1", "value": true}, 400},
		{"POST", "/api/admin/fill", map[string]any{"area": "0,0,1,1"}, 400},
		{"POST", "/api/admin/fill", map[string]any{"area": "0,0,1,1", "value": true, "extra": 1}, 400},
		{"POST", "/api/admin/fill", "not an object", 400},
		{"GET", "/api/admin/rollback?area=0,0,1,1", nil, 400},
		{"GET", "/api/admin/rollback?area=0,0,1,1&seq=1&time=2020-01-01T00:00:00Z", nil, 400},
		{"GET", "/api/admin/rollback?area=0,0,1,1&seq=99999", nil, 404},
		{"GET", "/api/admin/rollback?area=0,0,1,1&seq=x", nil, 400},
		{"GET", "/api/admin/rollback?area=0,0,1,1&time=yesterday", nil, 400},
		{"GET", "/api/admin/nothing", nil, 404},
	} {
		code, body := c.do(k.method, k.path, k.body)
		if code != k.want || len(body) < 10 {
			t.Errorf("%s %s %v: %d %q, want %d with a reason", k.method, k.path, k.body, code, body, k.want)
		}
	}
	if got := c.audit(); len(got) != 0 {
		t.Errorf("refused requests audited as actions: %+v", got)
	}
}

// TestAdminCommand: `checkgrid admin` finds the token in the data
// directory, acts, prints the answer, and is named in the audit log.
func TestAdminCommand(t *testing.T) {
	c := startConsole(t)
	var out, errOut bytes.Buffer
	env := func(k string) string { return map[string]string{"USER": "grace"}[k] }
	if code := admin.Main([]string{"-url", c.URL, "-data", c.ts.Data, "fill", "5,5,3,3"}, env, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var r admin.Result
	if err := json.Unmarshal(out.Bytes(), &r); err != nil || r.Boxes != 9 || r.Seq == 0 {
		t.Fatalf("output %q: %v", out.String(), err)
	}
	if log := c.audit(); len(log) != 1 || !strings.HasPrefix(log[0].Who, "grace@") {
		t.Fatalf("audit %+v", log)
	}
	errOut.Reset()
	if code := admin.Main([]string{"-url", c.URL, "-token", "wrongwrongwrongwrong", "clear", "5,5,3,3"}, env, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "401") {
		t.Fatalf("wrong token: exit %d, %q", code, errOut.String())
	}
	if code := admin.Main([]string{"-url", c.URL, "fill"}, env, &out, &errOut); code != 2 {
		t.Fatalf("bad command line: exit %d", code)
	}
}

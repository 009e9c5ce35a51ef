package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/admin"
	"checkgrid/server/peer"
)

// seenLog is when one player first held each seq.
type seenLog struct {
	mu   sync.Mutex
	at   []time.Time // parallel to seqs
	seqs []uint64
}

func (l *seenLog) firstAt(seq uint64) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, s := range l.seqs {
		if s >= seq {
			return l.at[i], true
		}
	}
	return time.Time{}, false
}

// BenchmarkRollbackSeen: the time from an operator's "apply" of a rollback
// of a 200×200 area (a vandalised square: 40,000 boxes) to every one of
// 1,000 whole-grid players holding it, beside a player's single toggle to
// every player holding it, in the same run on the same server (real
// WebSockets on loopback, -sync always). Reported as rollback-ms and
// toggle-ms: the slowest player of each iteration.
func BenchmarkRollbackSeen(b *testing.B) {
	ts := startServer(b, rollbackBenchFlags...)
	rollbackSeen(b, ts, []*testServer{ts}, ts)
}

// BenchmarkClusterRollbackSeen is BenchmarkRollbackSeen in cluster mode:
// three real JetStream servers and two nodes on the same machine, 500
// players on each node; the operator's fill and rollback go through node
// A's admin API (to the sequencer, wherever the lease is), and the
// clicking player is on node B. Figures: to the last of all 1,000.
func BenchmarkClusterRollbackSeen(b *testing.B) {
	nats := startJetStream(b)
	a := startServer(b, append([]string{"-nats", nats, "-node", "a"}, rollbackBenchFlags...)...)
	nb := startServer(b, append([]string{"-nats", nats, "-node", "b"}, rollbackBenchFlags...)...)
	rollbackSeen(b, a, []*testServer{a, nb}, nb)
}

// rollbackBenchFlags: an admin listener, and limits wide enough for 1,000
// players and the benchmark's pace from one address.
var rollbackBenchFlags = []string{"-admin", "127.0.0.1:0", "-max-conns-per-addr", "2000", "-max-http-conns-per-addr", "2100",
	"-join-rate", "100000", "-join-burst", "5000", "-addr-burst", "60000", "-addr-rate", "60000"}

// rollbackSeen runs the rollback benchmark: the operator acts through op's
// admin API; 1,000 players are spread evenly over nodes; the clicking
// player is on clickOn.
func rollbackSeen(b *testing.B, op *testServer, nodes []*testServer, clickOn *testServer) {
	const players = 1000
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	logs := make([]*seenLog, players)
	var ps []*peer.Peer
	for i := range players {
		p, err := peer.Dial(ctx, nodes[i%len(nodes)].WS, peer.Options{})
		if err != nil {
			b.Fatalf("player %d: %v", i, err)
		}
		ps = append(ps, p)
		l := &seenLog{}
		logs[i] = l
		go func() {
			for {
				if _, err := p.Next(ctx); err != nil {
					return
				}
				l.mu.Lock()
				if n := len(l.seqs); n == 0 || l.seqs[n-1] != p.Seq {
					l.seqs, l.at = append(l.seqs, p.Seq), append(l.at, time.Now())
				}
				l.mu.Unlock()
			}
		}()
	}
	defer func() {
		for _, p := range ps {
			p.Conn.CloseNow()
		}
	}()
	clicker, err := peer.Dial(ctx, clickOn.WS, peer.Options{})
	if err != nil {
		b.Fatal(err)
	}
	m := regexp.MustCompile(`msg="admin listening" addr=(\S+)`).FindStringSubmatch(op.Logs())
	tok, err := os.ReadFile(filepath.Join(op.Data, admin.TokenFile))
	if m == nil || err != nil {
		b.Fatalf("admin listener %v, token %v", m, err)
	}
	adminURL := "http://" + m[1]
	post := func(path string, body any) admin.Result {
		var out admin.Result
		if err := postJSON(adminURL+path, strings.TrimSpace(string(tok)), body, &out); err != nil {
			b.Fatal(err)
		}
		return out
	}
	// allSeen is when the last player first held seq.
	allSeen := func(seq uint64) time.Time {
		var last time.Time
		for _, l := range logs {
			for {
				at, ok := l.firstAt(seq)
				if ok {
					if at.After(last) {
						last = at
					}
					break
				}
				if ctx.Err() != nil {
					b.Fatal("players did not reach seq", seq)
				}
				time.Sleep(time.Millisecond) // the players' goroutines record; nothing to wait on
			}
		}
		return last
	}
	// A cluster takes Sets once a node holds the sequencer lease: until
	// then the operator's first change is refused (503); try again.
	for try := 0; ; try++ {
		var out admin.Result
		err := postJSON(adminURL+"/api/admin/fill", strings.TrimSpace(string(tok)), map[string]any{"area": "0,1,1,1", "value": true}, &out)
		if err == nil {
			break
		}
		if try == 10 {
			b.Fatal(err)
		}
	}
	var rollback, toggle time.Duration
	b.ResetTimer()
	for i := range b.N {
		area := "400,400,200,200"
		before := post("/api/admin/fill", map[string]any{"area": "0,0,1,1", "value": i%2 == 0}).Seq // a seq to roll back to
		vandal := post("/api/admin/fill", map[string]any{"area": area, "value": true})
		allSeen(vandal.Seq)
		t0 := time.Now()
		rb := post("/api/admin/rollback", map[string]any{"area": area, "seq": strconv.FormatUint(before, 10)})
		if rb.Boxes < 40_000 {
			b.Fatalf("rollback flipped %d boxes", rb.Boxes)
		}
		rollback += allSeen(rb.Seq).Sub(t0)

		box := uint32(999_000 + i%1000)
		t1 := time.Now()
		if err := clicker.Set(ctx, protocol.Change{Index: box, Value: !clicker.Grid.Get(box)}); err != nil {
			b.Fatal(err)
		}
		want := !clicker.Grid.Get(box)
		for clicker.Grid.Get(box) != want {
			if _, err := clicker.Next(ctx); err != nil {
				b.Fatal(err)
			}
		}
		toggle += allSeen(clicker.Seq).Sub(t1)
	}
	b.StopTimer()
	b.ReportMetric(float64(rollback.Microseconds())/1000/float64(b.N), "rollback-ms")
	b.ReportMetric(float64(toggle.Microseconds())/1000/float64(b.N), "toggle-ms")
}

func postJSON(url, token string, body, out any) error {
	b, _ := json.Marshal(body)
	req, err := http.NewRequest("POST", url, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

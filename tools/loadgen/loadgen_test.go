package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"checkgrid/protocol"
)

func TestPercentile(t *testing.T) {
	counts := make([]int64, 10)
	if got := percentile(counts, 0, 0.5); got != 0 {
		t.Fatalf("no samples: %v", got)
	}
	// 100 samples: 50 in bucket 0, 49 in bucket 3, 1 in bucket 9.
	counts[0], counts[3], counts[9] = 50, 49, 1
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{
		{0.01, histBucket}, {0.50, histBucket}, {0.51, 4 * histBucket},
		{0.99, 4 * histBucket}, {0.995, 10 * histBucket}, {1, 10 * histBucket},
	} {
		if got := percentile(counts, 100, c.p); got != c.want {
			t.Errorf("p%g = %v, want %v", c.p*100, got, c.want)
		}
	}
}

func TestHistogram(t *testing.T) {
	h := newHistogram()
	h.add(-time.Second, 150*time.Microsecond, time.Hour)
	q := h.quantiles()
	if q.n != 3 || q.max != time.Hour || q.p50 != 2*histBucket || q.p99 != histSpan {
		t.Fatalf("quantiles = %+v", q)
	}
	h.reset()
	if q := h.quantiles(); q.n != 0 || q.max != 0 || q.p99 != 0 {
		t.Fatalf("after reset: %+v", q)
	}
}

func TestCheckLoopback(t *testing.T) {
	for _, ok := range []string{"127.0.0.1", "127.1.2.3", "::1", "localhost", "::ffff:127.0.0.1"} {
		if err := checkLoopback(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"10.0.0.1", "8.8.8.8", "example.com", "", "0.0.0.0", "::", "128.0.0.1"} {
		if err := checkLoopback(bad); !errors.Is(err, ErrNotLoopback) {
			t.Errorf("%q: err = %v, want ErrNotLoopback", bad, err)
		}
	}
	if hp, err := checkURL("ws://127.0.0.1:8080/ws"); err != nil || hp != "127.0.0.1:8080" {
		t.Errorf("checkURL = %q, %v", hp, err)
	}
	if hp, err := checkURL("wss://127.0.0.1/ws"); err != nil || hp != "127.0.0.1:443" {
		t.Errorf("checkURL(wss) = %q, %v", hp, err)
	}
	for _, bad := range []string{"wss://10.0.0.1/ws", "http://127.0.0.1/ws", "ws://192.168.1.1:8080/ws", "ws://evil.example/ws"} {
		if _, err := checkURL(bad); err == nil {
			t.Errorf("checkURL(%q) accepted", bad)
		}
	}
}

func TestParseConfig(t *testing.T) {
	if _, err := parseConfig(nil, io.Discard); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-watchers", "60001"}, "cap is 60000"},
		{[]string{"-watchers", "30000"}, "-sources 2"},
		{[]string{"-watchers", "-1"}, "negative"},
		{[]string{"-duration", "11m"}, "cap is 10m"},
		{[]string{"-mode", "both", "-duration", "5m"}, "cap is 10m"},
		{[]string{"-mode", "udp"}, "-mode"},
		{[]string{"-url", "ws://10.1.1.1/ws"}, "not a loopback"},
		{[]string{"-observers", "65"}, "cap is 64"},
		{[]string{"-click-rate", "0"}, "-click-rate"},
		{[]string{"-sources", "251"}, "-sources"},
		{[]string{"-watchers", "0", "-observers", "0", "-clickers", "0"}, "no players"},
		{[]string{"stray"}, "unexpected"},
		{[]string{"-tls"}, "needs -spawn"},
		{[]string{"-ca", "x.pem"}, "-ca is for a wss://"},
		{[]string{"-spawn", "bin", "-ca", "x.pem", "-url", "wss://127.0.0.1/ws"}, "-ca is for a wss://"},
	} {
		_, err := parseConfig(c.args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err = %v, want %q", c.args, err, c.want)
		}
	}
	if _, err := parseConfig([]string{"-watchers", "50000", "-sources", "2", "-url", "ws://[::1]:1/ws"}, io.Discard); err != nil {
		t.Errorf("50k over 2 sources: %v", err)
	}
}

func TestParseProc(t *testing.T) {
	stat := "1234 (my (odd) name) S 1 2 3 4 5 6 7 8 9 10 250 150 0 0 20 0 9 0"
	if d, err := parseStatCPU(stat); err != nil || d != 4*time.Second {
		t.Errorf("parseStatCPU = %v, %v; want 4s", d, err)
	}
	if _, err := parseStatCPU("garbage"); !errors.Is(err, ErrNoProcess) {
		t.Errorf("garbage stat: %v", err)
	}
	status := "Name:\tx\nVmPeak:\t  900 kB\nVmRSS:\t   2048 kB\nThreads: 3\n"
	if b, err := parseVmRSS(status); err != nil || b != 2048<<10 {
		t.Errorf("parseVmRSS = %d, %v", b, err)
	}
	if _, err := parseVmRSS("Name: x\n"); !errors.Is(err, ErrNoProcess) {
		t.Errorf("no VmRSS: %v", err)
	}
	// user nice system idle iowait irq softirq steal
	if d, err := parseProcStatBusy("cpu  100 10 50 9999 7 3 2 5 0 0\ncpu0 1 2 3\n"); err != nil || d != 1700*time.Millisecond {
		t.Errorf("parseProcStatBusy = %v, %v; want 1.7s", d, err)
	}
	a := procSample{at: time.Unix(0, 0), cpu: time.Second}
	b := procSample{at: time.Unix(2, 0), cpu: 4 * time.Second}
	if got := cores(a, b); got != 1.5 {
		t.Errorf("cores = %v, want 1.5", got)
	}
}

func TestAssignRoles(t *testing.T) {
	c := config{observers: 3, watchers: 10, clickers: 5, drawers: 2, abusers: 1, seed: 7}
	roles := assignRoles(c)
	n := map[Role]int{}
	for i, r := range roles {
		n[r]++
		if r == RoleObserver && i != 7*(n[RoleObserver]-1) {
			t.Fatalf("observers must be spread evenly (at 0, 7, 14 of 21): %v", roles)
		}
	}
	if len(roles) != 21 || n[RoleWatcher] != 10 || n[RoleClicker] != 5 || n[RoleDrawer] != 2 || n[RoleAbuser] != 1 {
		t.Fatalf("roles = %v", n)
	}
	if again := assignRoles(c); !slicesEqual(again, roles) {
		t.Fatal("same seed, different roles")
	}
}

func slicesEqual[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Every click must flip its box (else it never shows in a Delta), boxes
// stay in the clicker's own slice of the click region, and no two clickers
// share a box.
func TestClickerFlips(t *testing.T) {
	var grid protocol.Bitset
	grid.Put(5, true)
	owner := map[uint32]int{}
	const of = 1000 // 600 boxes each: a few laps are quick
	for _, rank := range []int{0, 5, of - 1} {
		c := newClicker(rank, of, clickRegionEnd, &grid, rand.New(rand.NewPCG(1, uint64(rank))))
		seen := map[uint32]bool{} // current value as the server would have it
		for range 3*clickRegionEnd/of + 7 {
			ch := c.click()
			if ch.Index >= clickRegionEnd || int(ch.Index)%of != rank {
				t.Fatalf("clicker %d clicked %d", rank, ch.Index)
			}
			if o, ok := owner[ch.Index]; ok && o != rank {
				t.Fatalf("box %d clicked by %d and %d", ch.Index, o, rank)
			}
			owner[ch.Index] = rank
			cur, ok := seen[ch.Index]
			if !ok {
				cur = grid.Get(ch.Index)
			}
			if ch.Value == cur {
				t.Fatalf("click on %d sets it to its current value %v", ch.Index, cur)
			}
			seen[ch.Index] = ch.Value
		}
	}
}

func TestReadFrame(t *testing.T) {
	msg := bytes.Repeat([]byte{7}, 3000)
	msg[0] = 3
	buf := make([]byte, 64)
	_, head, size, err := readFrame(iotestHalf(msg), buf, false)
	if err != nil || size != 3000 || len(head) != 64 || head[0] != 3 {
		t.Fatalf("discarding: size %d head %d err %v", size, len(head), err)
	}
	grown, head, size, err := readFrame(iotestHalf(msg), buf, true)
	if err != nil || size != 3000 || !bytes.Equal(head, msg) || cap(grown) < 3000 {
		t.Fatalf("keeping: size %d head %d err %v", size, len(head), err)
	}
}

// iotestHalf returns a reader that yields msg in small uneven pieces.
func iotestHalf(msg []byte) io.Reader {
	return &pieces{b: msg}
}

type pieces struct{ b []byte }

func (p *pieces) Read(dst []byte) (int, error) {
	if len(p.b) == 0 {
		return 0, io.EOF
	}
	n := copy(dst[:min(len(dst), 37)], p.b)
	p.b = p.b[n:]
	return n, nil
}

func TestWireSizeAndNames(t *testing.T) {
	if wireSize(100) != 102 || wireSize(126) != 130 || wireSize(70000) != 70010 {
		t.Error("wireSize")
	}
	for _, s := range []string{ModeBoth.String(), RoleAbuser.String(), AbuseTooLong.String()} {
		if strings.Contains(s, "(") {
			t.Errorf("unnamed: %s", s)
		}
	}
	if m, err := parseMode("rawtcp"); err != nil || m != ModeRaw {
		t.Errorf("parseMode = %v, %v", m, err)
	}
}

// Coverage counts only the players that get every Delta: 900 of them got
// all 100 ticks' Deltas while 300 viewers got none (they follow areas), so
// coverage is 100%; the viewers' share of ticks is reported on its own.
func TestCoverageLeavesViewersOut(t *testing.T) {
	r := wsResult{
		window: 10 * time.Second, seqAdvance: 100, heldStart: 1200, heldEnd: 1200, seenPerSec: 2000,
		before: snapshot{vheld: 300},
		after:  snapshot{vheld: 300, deltas: 900 * 100, vdeltas: 300 * 100 / 2},
	}
	if c := r.coverage(); c != 1 {
		t.Errorf("coverage %.3f, want 1", c)
	}
	r.after.deltas = 450 * 100
	if c := r.coverage(); c != 0.5 {
		t.Errorf("coverage %.3f, want 0.5 with half the Deltas missing", c)
	}
	// 200 flips per tick over the whole grid (clickers alone own all of
	// it): an area sees a flip on 1−e^(−200×boxes/10⁶) of the ticks; areas
	// clamped at the top and bottom rows are a little smaller.
	got, here, uniform := r.viewerTicks()
	w, h := viewerSize()
	all := 1 - math.Exp(-200*float64(w*h)/1e6)
	if got != 0.5 || here > all || here < 0.99*all || math.Abs(uniform-all) > 1e-9 {
		t.Errorf("viewers: %.3f of ticks, %.3f expected here, %.3f if uniform (want %.3f)", got, here, uniform, all)
	}
	// Beside drawers and abusers the clickers keep rows 0–599 and other
	// flips land elsewhere: no expectation for here.
	r.cfg.drawers = 1
	if _, here, _ := r.viewerTicks(); !math.IsNaN(here) {
		t.Errorf("expected share %.3f with drawers flipping too, want NaN", here)
	}
}

// A timed viewer's AreaDelta times exactly the boxes in it that a clicker
// sent, into the viewers' histogram, not the observers'.
func TestObserveAreaTimesClickedBoxes(t *testing.T) {
	r := &wsRun{ctr: newCounters(), sent: newSendTimes(), lat: newHistogram(), vlat: newHistogram()}
	now := time.Now()
	r.sent.record(10, now.Add(-30*time.Millisecond))
	r.sent.record(2000, now.Add(-80*time.Millisecond))
	frame, err := protocol.AppendAreaDelta(nil, 5, 4, []uint32{10, 11, 2000}) // box 11 was never clicked
	if err != nil {
		t.Fatal(err)
	}
	r.observeArea(frame, now)
	q := r.vlat.quantiles()
	if q.n != 2 || q.max < 79*time.Millisecond || q.max > 81*time.Millisecond {
		t.Fatalf("viewers' latencies: %d samples, max %v; want 2, 80 ms", q.n, q.max)
	}
	if r.lat.quantiles().n != 0 {
		t.Fatal("a viewer's AreaDelta was timed as an observer's Delta")
	}
}

// Small runs against the real server binary, built once for all of them.
func TestServerLoadRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server")
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("needs the go command to build the server")
	}
	bin := filepath.Join(t.TempDir(), "checkgrid-server")
	if out, err := exec.Command(goCmd, "build", "-o", bin, "checkgrid/server").CombinedOutput(); err != nil {
		t.Fatalf("building the server: %v\n%s", err, out)
	}

	// wss, so the TLS path (the server's sealed non-blocking writes, the
	// loadgen's wss dialing) cannot silently break: every player joins
	// over TLS, the watchers get every Delta in order, and the observers
	// see the clickers' toggles.
	t.Run("WSS", func(t *testing.T) {
		cfg, r := loadRun(t, bin, "-tls", "-watchers", "40", "-observers", "2", "-clickers", "10",
			"-click-rate", "5", "-ramp", "500ms", "-settle", "300ms", "-duration", "2s")
		if r.after.joined != int64(cfg.players()) {
			t.Errorf("%d of %d players joined over TLS; events %v", r.after.joined, cfg.players(), r.events)
		}
		if r.after.gaps != 0 || r.after.deltas == 0 {
			t.Errorf("%d Deltas in order, %d gaps; want some and none", r.after.deltas, r.after.gaps)
		}
		if r.lat.n == 0 {
			t.Error("no toggle was seen by an observer over TLS")
		}
	})

	// Paced: the watchers (version 3, never clicking) go passive after the
	// server's 5 s and then follow the grid by DeltaRanges alone, spread
	// over the phases, with no gap, while the observers still see every
	// toggle.
	t.Run("Paced", func(t *testing.T) {
		_, r := loadRun(t, bin, "-pace", "-watchers", "30", "-observers", "2", "-clickers", "10",
			"-click-rate", "5", "-ramp", "300ms", "-settle", "5500ms", "-duration", "1500ms")
		if r.after.ranges == 0 || r.after.gaps != 0 {
			t.Errorf("%d DeltaRanges in sequence, %d gaps; want some and none", r.after.ranges, r.after.gaps)
		}
		if r.lat.n == 0 {
			t.Error("no toggle was seen by an observer")
		}
	})
}

// loadRun spawns the server binary bin and runs the load generator with
// args (and -q) against it.
func loadRun(t *testing.T, bin string, args ...string) (config, wsResult) {
	t.Helper()
	cfg, err := parseConfig(append([]string{"-spawn", bin, "-q"}, args...), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := spawnServer(cfg.spawn, cfg.tick, cfg.tls, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.stop(context.Background())
	scheme := "ws://"
	if cfg.tls {
		scheme = "wss://"
	}
	r, err := runWS(context.Background(), cfg, scheme+srv.addr+"/ws", srv.roots, srv.pid(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.stop(context.Background()); err != nil {
		t.Errorf("server stop: %v", err)
	}
	return cfg, r
}

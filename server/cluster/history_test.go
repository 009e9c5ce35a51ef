package cluster

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/history"
)

// historyKeyframeBytes spaces the test's keyframes a few hundred bytes of
// Deltas apart (one-box Deltas are ~16 bytes), so a short run makes many.
const historyKeyframeBytes = 300

// serveHistory runs n's cluster-mode history (every node of a cluster
// runs one) and serves its API; it returns the base URL.
func serveHistory(t *testing.T, n *node) string {
	t.Helper()
	hl, err := n.HistoryLog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s := history.NewStream(hl, historyKeyframeBytes, testLogger(t))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Run(ctx)
	}()
	srv := httptest.NewServer(history.NewHandler(s, history.Limits{}, testLogger(t)))
	t.Cleanup(func() {
		srv.Close()
		cancel()
		<-done
	})
	return srv.URL
}

// drain keeps n's feed flowing for a node the test does not watch.
func drain(t *testing.T, n *node) {
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	go func() {
		for {
			select {
			case <-n.Feed():
			case <-stop:
				return
			}
		}
	}()
}

func getHistory(t *testing.T, url string) ([]byte, http.Header) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s %v", url, resp.StatusCode, b, err)
	}
	return b, resp.Header
}

// waitHistory waits until the history at base reaches seq and returns
// its extent.
func waitHistory(t *testing.T, base string, seq uint64) history.Extent {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(base + "/api/history")
		if err == nil {
			var ex history.Extent
			ok := resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&ex) == nil
			resp.Body.Close()
			if ok && ex.LastSeq >= seq {
				return ex
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: history did not reach seq %d", base, seq)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Every node serves the same history, byte for byte, across a sequencer
// failover: the grid at every seq equals what a player of a node saw
// then, with the same commit time, toggles and hash chain on each node;
// the records are the same bytes; a node whose history starts late finds
// the keyframes the others wrote and writes the same ones after them;
// `checkgrid history verify` passes against each node's API.
func TestHistoryServedByEveryNodeAcrossFailover(t *testing.T) {
	start := time.Now()
	js := startJS(t)
	a := startNode(t, Config{URLs: urls(js), Node: "a"})
	waitWritable(t, a, 20*time.Second)
	b := startNode(t, Config{URLs: urls(js), Node: "b"})
	c := startNode(t, Config{URLs: urls(js), Node: "c"})
	waitWritable(t, b, 20*time.Second)
	drain(t, a)
	drain(t, c)
	_ = serveHistory(t, a)
	hb := serveHistory(t, b)
	var rb replica
	stop := make(chan struct{})
	loaded := load(b, 7, stop)
	rb.until(t, b, 10*time.Second, func() bool { return rb.Seq >= 40 })
	a.nc.Close() // the sequencer crashes
	rb.until(t, b, 20*time.Second, func() bool { return (b.Sequencing() || c.Sequencing()) && rb.Seq >= 90 })
	close(stop)
	last := settledTail(t, b, <-loaded)
	rb.until(t, b, 10*time.Second, func() bool { return rb.Seq == last })
	hc := serveHistory(t, c) // starts after the failover, from the bucket's keyframes

	exB, exC := waitHistory(t, hb, last), waitHistory(t, hc, last)
	if exB.LastSeq != last || exC.LastSeq != last {
		t.Fatalf("history at %d and %d, stream at %d", exB.LastSeq, exC.LastSeq, last)
	}
	if exB.Chain != exC.Chain || exB.FirstSeq != 0 || exC.FirstSeq != 0 || exB.FirstChain != exC.FirstChain {
		t.Fatalf("extents differ: %+v / %+v", exB, exC)
	}
	if exB.Keyframes < 4 || exB.Keyframes != exC.Keyframes {
		t.Fatalf("keyframes: b knows %d, c %d (want the same, at least 4)", exB.Keyframes, exC.Keyframes)
	}
	var want protocol.Replica
	want.Reset(b.History, 0, new(protocol.Bitset))
	var prevTime time.Time
	counts, lasts := map[uint32]uint32{}, map[uint32]uint64{} // per box, as the player saw
	for seq := uint64(0); seq <= last; seq++ {
		if seq > 0 {
			f, ok := rb.frames[seq]
			if !ok {
				t.Fatalf("b's player did not see seq %d", seq)
			}
			flipped, err := want.Apply(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, i := range flipped {
				counts[i]++
				lasts[i] = seq
			}
		}
		q := "/api/history/snapshot?seq=" + strconv.FormatUint(seq, 10)
		bodyB, hdrB := getHistory(t, hb+q)
		bodyC, hdrC := getHistory(t, hc+q)
		if string(bodyB) != string(bodyC) {
			t.Fatalf("seq %d: the nodes' snapshots differ", seq)
		}
		for _, h := range []string{"X-Time", "X-Chain", "X-Toggles", "X-Epoch", "Etag"} {
			if hdrB.Get(h) != hdrC.Get(h) {
				t.Fatalf("seq %d: %s %q on b, %q on c", seq, h, hdrB.Get(h), hdrC.Get(h))
			}
		}
		snap, err := protocol.DecodeSnapshot(bodyB)
		var got protocol.Bitset
		if err == nil {
			err = snap.Bits(&got)
		}
		if err != nil || snap.Seq != seq || got != want.Grid {
			t.Fatalf("seq %d: history's grid is not what the player saw (%v)", seq, err)
		}
		if seq > 0 {
			at, err := time.Parse(time.RFC3339Nano, hdrB.Get("X-Time"))
			if err != nil || at.Before(prevTime) || at.Before(start) || at.After(time.Now()) {
				t.Fatalf("seq %d: X-Time %q (previous %v): %v", seq, hdrB.Get("X-Time"), prevTime, err)
			}
			prevTime = at
		}
	}
	q := "/api/history/deltas?from=1&to=" + strconv.FormatUint(last, 10)
	db, _ := getHistory(t, hb+q)
	dc, _ := getHistory(t, hc+q)
	if string(db) != string(dc) {
		t.Fatal("the nodes' records differ")
	}
	// The box index (/api/history/box): each node builds its own from the
	// stream, and both count what the player saw, in the same bytes.
	checkedBoxes := 0
	for i, n := range counts {
		if checkedBoxes++; checkedBoxes > 8 {
			break
		}
		q := "/api/history/box?box=" + strconv.FormatUint(uint64(i), 10)
		bodyB, _ := getHistory(t, hb+q)
		bodyC, _ := getHistory(t, hc+q)
		var info history.BoxInfo
		if err := json.Unmarshal(bodyB, &info); err != nil || string(bodyB) != string(bodyC) {
			t.Fatalf("box %d: b answers %s, c %s (%v)", i, bodyB, bodyC, err)
		}
		if info.Changes != n || info.LastSeq != lasts[i] || info.Seq != last || info.LastTime == nil {
			t.Fatalf("box %d: %+v, the player saw %d changes, the last at seq %d", i, info, n, lasts[i])
		}
	}
	for _, base := range []string{hb, hc} {
		if err := history.VerifyURL(base, io.Discard); err != nil {
			t.Fatalf("verify %s: %v", base, err)
		}
	}
	info, err := b.h.stream.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("history 0..%d, %d keyframes, byte-equal on both nodes; the stream holds %d B for %d one-box Deltas (%d B each)",
		last, exB.Keyframes, info.State.Bytes, info.State.Msgs, info.State.Bytes/max(1, info.State.Msgs))
}

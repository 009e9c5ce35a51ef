package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"checkgrid/server/history"
)

// TestHistoryBoxSaysWhenAndHowOften: /api/history/box, over a real store
// and real sockets, counts every change a player made to a box and names
// the last one's seq and commit time (its record's, to the second);
// a box never touched has none; a restart rebuilds the same answer from
// the files; bad queries are 400 with the reason.
func TestHistoryBoxSaysWhenAndHowOften(t *testing.T) {
	ts := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p := ts.dial(ctx)
	const hot, cold, never = 4242, 999_999, 17
	changes := map[uint32]uint32{}
	lastAt := map[uint32]uint64{}
	var seq uint64
	for _, i := range []uint32{hot, cold, hot, hot, 5, hot, hot} {
		seq = flip(t, ctx, p, i)
		changes[i]++
		lastAt[i] = seq
	}
	box := func(i uint32) history.BoxInfo {
		t.Helper()
		code, h, body := hget(t, fmt.Sprintf("%s/api/history/box?box=%d", ts.URL, i))
		var info history.BoxInfo
		if err := json.Unmarshal(body, &info); code != http.StatusOK || err != nil {
			t.Fatalf("box %d: %d %s (%v)", i, code, body, err)
		}
		if h.Get("Content-Type") != "application/json" || h.Get("Cache-Control") != "public, max-age=1" || h.Get("ETag") == "" {
			t.Fatalf("box %d: headers %v", i, h)
		}
		return info
	}
	check := func(when string) {
		for _, i := range []uint32{hot, cold, never} {
			info := box(i)
			if info.Box != i || info.Seq < seq || info.Since != 0 || info.Changes != changes[i] || info.LastSeq != lastAt[i] {
				t.Fatalf("%s: box %d: %+v, want %d changes, the last at seq %d", when, i, info, changes[i], lastAt[i])
			}
			if info.LastSeq == 0 {
				if info.LastTime != nil {
					t.Fatalf("%s: box %d never changed, yet last_time %v", when, i, info.LastTime)
				}
				continue
			}
			_, h, _ := hget(t, fmt.Sprintf("%s/api/history/snapshot?seq=%d", ts.URL, info.LastSeq))
			want, err := time.Parse(time.RFC3339Nano, h.Get("X-Time"))
			if err != nil || info.LastTime == nil || !info.LastTime.Equal(want.Truncate(time.Second)) {
				t.Fatalf("%s: box %d: last_time %v, the record's X-Time %q (%v)", when, i, info.LastTime, h.Get("X-Time"), err)
			}
		}
	}
	check("live")
	// One more change is counted by the next answer.
	seq = flip(t, ctx, p, hot)
	changes[hot]++
	lastAt[hot] = seq
	check("after one more")
	p.Close()
	ts.Stop()
	ts = startServer(t, "-data", ts.Data)
	check("after a restart")

	for _, c := range []struct{ query, why string }{
		{"", "box is missing"},
		{"?box=", "want a box index"},
		{"?box=abc", "want a box index"},
		{"?box=-1", "want a box index"},
		{"?box=+1", "want a box index"},
		{"?box=1000000", "want a box index 0..999999"},
		{"?box=99999999999999999999999", "want a box index"},
		{"?box=1&box=2", "2 times"},
		{"?box=1&seq=2", "unknown parameter"},
	} {
		code, h, body := hget(t, ts.URL+"/api/history/box"+c.query)
		if code != http.StatusBadRequest || !strings.Contains(string(body), c.why) || h.Get("Cache-Control") != "no-store" {
			t.Errorf("box%s: %d %q, want 400 naming %q", c.query, code, body, c.why)
		}
	}
}

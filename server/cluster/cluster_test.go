package cluster

import (
	"testing"
	"time"

	"checkgrid/protocol"
)

func TestSetOnOneNodeSeenInOrderByAll(t *testing.T) {
	js := startJS(t)
	a := startNode(t, Config{URLs: urls(js)[:1], Node: "a"})
	b := startNode(t, Config{URLs: urls(js)[1:2], Node: "b"})
	var ra, rb replica
	waitWritable(t, b, 20*time.Second)
	want := protocol.Bitset{}
	for i := range 50 {
		ch := []protocol.Change{{Index: uint32(i * 997), Value: true}, {Index: uint32(i*997 + 1), Value: true}}
		if _, ok := b.Submit(ch, mustCommit(t)); !ok {
			t.Fatalf("submit %d refused", i)
		}
		for _, c := range ch {
			want.Put(c.Index, c.Value)
		}
		time.Sleep(5 * time.Millisecond)
	}
	same := func(r *replica) func() bool { return func() bool { return r.Grid == want } }
	ra.until(t, a, 10*time.Second, same(&ra))
	rb.until(t, b, 10*time.Second, same(&rb))
	if ra.Seq != rb.Seq {
		t.Fatalf("a at %d, b at %d", ra.Seq, rb.Seq)
	}
	for s, f := range ra.frames {
		if g, ok := rb.frames[s]; ok && string(g) != string(f) {
			t.Fatalf("seq %d differs between nodes", s)
		}
	}
	t.Logf("converged at seq %d", ra.Seq)
}

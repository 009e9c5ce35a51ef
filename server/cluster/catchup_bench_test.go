package cluster

import (
	"context"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"checkgrid/protocol"
)

// catchUpDeltas: the stream a joining node replays in BenchmarkCatchUp,
// with no snapshot: ten random boxes a Delta, as a busy tick of a quiet
// grid. Deltas per second here bound how far behind a node can come up
// in a given time (a million Deltas: 1e6 / the figure).
const catchUpDeltas = 20_000

// BenchmarkCatchUp: a node joins catchUpDeltas Deltas behind the newest
// (absent) snapshot; each iteration is one join, from Open to Ready.
func BenchmarkCatchUp(b *testing.B) {
	js := startJS(b)
	cfg := Config{URLs: urls(js), Node: "seed", SnapshotEvery: time.Hour, Logger: testLogger(b)}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	seed, err := Open(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	var g protocol.Bitset
	boxes := make([]uint32, 0, 10)
	for seq := uint64(1); seq <= catchUpDeltas; seq++ {
		boxes = boxes[:0]
		for range 10 {
			boxes = append(boxes, uint32(r.IntN(protocol.Boxes)))
		}
		slices.Sort(boxes)
		boxes = slices.Compact(boxes)
		for _, i := range boxes {
			g.Put(i, !g.Get(i))
		}
		frame, err := protocol.AppendDelta(nil, seq, boxes)
		if err != nil {
			b.Fatal(err)
		}
		msg := &nats.Msg{Subject: DeltaSubject, Data: frame, Header: nats.Header{}}
		msg.Header.Set(hdrToggles, strconv.FormatUint(seq*10, 10))
		if _, err := seed.js.PublishMsgAsync(msg, jetstream.WithExpectLastSequence(seq-1)); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-seed.js.PublishAsyncComplete():
	case <-ctx.Done():
		b.Fatal("publishing the stream took too long")
	}
	b.Run("join", func(b *testing.B) { benchJoin(b, ctx, cfg, &g) })
	// The baseline: what the catch-up cost before (one GetMsg request per
	// Delta, nothing applied), over the same stream.
	b.Run("getmsg-each", func(b *testing.B) {
		st, err := seed.js.Stream(ctx, StreamName)
		if err != nil {
			b.Fatal(err)
		}
		for range b.N {
			for seq := uint64(1); seq <= catchUpDeltas; seq++ {
				if _, err := st.GetMsg(ctx, seq); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(catchUpDeltas)*float64(b.N)/b.Elapsed().Seconds(), "deltas/s")
	})
	seed.nc.Close()
}

func benchJoin(b *testing.B, ctx context.Context, cfg Config, g *protocol.Bitset) {
	for i := range b.N {
		cfg.Node = "j" + strconv.Itoa(i)
		n, err := Open(ctx, cfg)
		if err != nil {
			b.Fatal(err)
		}
		rctx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- n.Run(rctx) }()
		select {
		case <-n.Ready():
		case <-ctx.Done():
			b.Fatal("never ready")
		}
		b.StopTimer()
		c := <-n.Feed()
		if c.Seq != catchUpDeltas || *c.Grid != *g {
			b.Fatalf("joined at seq %d (want %d), grid equal %v", c.Seq, catchUpDeltas, *c.Grid == *g)
		}
		stop()
		<-done
		b.StartTimer()
	}
	b.ReportMetric(float64(catchUpDeltas)*float64(b.N)/b.Elapsed().Seconds(), "deltas/s")
}

//go:build !js

package timeline

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/store"
)

// TestAtAndPlay: against the real history handler over a real data
// directory, At gives the grid of the last record at or before a moment,
// and Play carries it to a later seq (whole grid and one area), each frame
// showing the grid at its seq.
func TestAtAndPlay(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	grids := make([]protocol.Bitset, 1, 401) // grids[seq]; 0 is the empty grid
	src, h := served(t, 400, func(int) []uint32 {
		idx := []uint32{uint32(rng.IntN(protocol.Boxes)), uint32(rng.IntN(200))}
		slices.Sort(idx)
		return slices.Compact(idx)
	}, func(st *store.State) { grids = append(grids, st.Grid) })
	times := []int64{0}
	if err := h.Records(1, 400, func(r store.Record) error { times = append(times, r.Time); return nil }); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	ex, err := src.Extent(ctx)
	if err != nil || ex.LastSeq != 400 || ex.FirstSeq != 0 {
		t.Fatalf("extent %+v %v", ex, err)
	}
	at := time.Unix(0, times[123]).UTC()
	m, err := src.At(ctx, at)
	want := uint64(123)
	for want < 400 && times[want+1] == times[123] {
		want++ // records committed in the same nanosecond
	}
	if err != nil || m.Seq != want || m.Grid != grids[want] || !m.Time.Equal(at) {
		t.Fatalf("At(%v): seq %d (want %d), grid equal %v, time %v, %v", at, m.Seq, want, m.Grid == grids[want], m.Time, err)
	}
	for _, area := range []protocol.Area{protocol.WholeGrid, {X: 0, Y: 0, W: 200, H: 1}} {
		m, err := src.At(ctx, at)
		if err != nil {
			t.Fatal(err)
		}
		shown := 0
		err = src.Play(ctx, m, 390, time.Millisecond, area, func(m *Moment, boxes []uint32) error {
			shown++
			for i := range uint32(protocol.Boxes) {
				if area.Contains(i) && m.Grid.Get(i) != grids[m.Seq].Get(i) {
					t.Fatalf("area %v: box %d at seq %d", area, i, m.Seq)
				}
			}
			return nil
		})
		if err != nil || m.Seq != 390 || shown == 0 {
			t.Fatalf("area %v: Play ends at %d after %d frames: %v", area, m.Seq, shown, err)
		}
	}
	// The span starts at the first record's time (seq 0, the empty grid,
	// has none) and ends at the last's.
	sp, err := src.Span(ctx)
	if err != nil || sp.First != 0 || sp.Last != 400 || !sp.Start.Equal(time.Unix(0, times[1])) || !sp.End.Equal(time.Unix(0, times[400])) {
		t.Fatalf("Span = %+v, %v; want 0…400 from %v to %v", sp, err, time.Unix(0, times[1]).UTC(), time.Unix(0, times[400]).UTC())
	}
	// The net change between two seqs, in the whole grid and in an area.
	for _, area := range []protocol.Area{protocol.WholeGrid, {X: 0, Y: 0, W: 150, H: 1}} {
		got, err := src.Changed(ctx, 100, 300, area)
		var want []uint32
		for i := range uint32(protocol.Boxes) {
			if area.Contains(i) && grids[100].Get(i) != grids[300].Get(i) {
				want = append(want, i)
			}
		}
		if err != nil || !slices.Equal(got, want) || len(want) == 0 {
			t.Fatalf("area %v: Changed(100, 300) = %d boxes, %v; want %d", area, len(got), err, len(want))
		}
	}
	if _, err := src.Changed(ctx, 300, 100, protocol.WholeGrid); err == nil {
		t.Fatal("a reversed range answered")
	}
	if _, err := src.At(ctx, time.Date(1971, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatalf("a moment before the first record is the empty grid at 0: %v", err)
	}
	bad := &Source{Base: src.Base + "/nothing", HTTP: src.HTTP}
	if _, err := bad.Extent(ctx); err == nil {
		t.Fatal("a 404 read as an extent")
	}
}

func TestEvery(t *testing.T) {
	for _, c := range []struct {
		speed float64
		fps   int
		want  time.Duration
	}{
		{1, 10, time.Second}, {1440, 10, 2 * time.Minute}, {1440, 60, 10 * time.Second}, {60, 1, time.Minute}, {1e9, 1, time.Hour}, {0, 0, time.Second},
	} {
		if got := Every(c.speed, c.fps); got != c.want {
			t.Errorf("Every(%v, %d) = %v, want %v", c.speed, c.fps, got, c.want)
		}
	}
}

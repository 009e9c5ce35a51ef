//go:build !js

package timeline

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/store"
	"checkgrid/wasm/wording"
)

// TestBox: against the real history handler over a real data directory,
// Box says how many records flipped a box and when the last one was
// committed, and Label writes what the hover label shows.
func TestBox(t *testing.T) {
	const ticks, hot, once, never = 300, 77, 500_500, 3
	counts, lasts := map[uint32]uint32{}, map[uint32]uint64{}
	src, h := served(t, ticks, func(k int) []uint32 {
		idx := []uint32{uint32(1000 + k)}
		switch {
		case k%7 == 0:
			idx = append([]uint32{hot}, idx...)
		case k == 150:
			idx = append(idx, once)
		}
		for _, i := range idx {
			counts[i]++
			lasts[i] = uint64(k + 1)
		}
		return idx
	}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, i := range []uint32{hot, once, never} {
		info, err := src.Box(ctx, i)
		if err != nil {
			t.Fatal(err)
		}
		if info.Box != i || info.Seq != ticks || info.Changes != counts[i] || info.LastSeq != lasts[i] {
			t.Fatalf("box %d: %+v, want %d changes, the last at %d", i, info, counts[i], lasts[i])
		}
		var want string
		switch counts[i] {
		case 0:
			want = wording.BoxNever
		default:
			var at int64
			if err := h.Records(lasts[i], lasts[i], func(r store.Record) error { at = r.Time; return store.ErrStop }); err != nil {
				t.Fatal(err)
			}
			when := time.Unix(at/1e9, 0).In(time.UTC).Format(wording.TimeLayout)
			want = fmt.Sprintf(wording.BoxInfoFmt, when, counts[i])
			if counts[i] == 1 {
				want = fmt.Sprintf(wording.BoxOnceFmt, when)
			}
		}
		if got := info.Label(time.UTC); got != want {
			t.Fatalf("box %d: label %q, want %q", i, got, want)
		}
	}
	if _, err := src.Box(ctx, protocol.Boxes); !errors.Is(err, ErrRange) {
		t.Fatalf("box 1000000: %v, want ErrRange", err)
	}
}

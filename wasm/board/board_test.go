package board

import (
	"errors"
	"strings"
	"testing"
	"time"

	"checkgrid/protocol"
)

// cells parses an ASCII picture of the grid's top-left corner ('x' checked,
// '.' not) into the boxes it marks.
func cells(t testing.TB, pic string) []uint32 {
	t.Helper()
	var idx []uint32
	for y, row := range strings.Split(strings.TrimSpace(pic), "\n") {
		for x, c := range strings.TrimSpace(row) {
			switch c {
			case 'x':
				idx = append(idx, uint32(y*protocol.GridWidth+x))
			case '.':
			default:
				t.Fatalf("bad cell %q", c)
			}
		}
	}
	return idx
}

// corner draws the displayed top-left w×h of b as an ASCII picture.
func corner(b *Board, w, h int) string {
	var sb strings.Builder
	for y := range h {
		if y > 0 {
			sb.WriteByte('\n')
		}
		for x := range w {
			if b.Displayed(uint32(y*protocol.GridWidth + x)) {
				sb.WriteByte('x')
			} else {
				sb.WriteByte('.')
			}
		}
	}
	return sb.String()
}

func snapshot(t testing.TB, epoch, seq uint64, pic string) []byte {
	t.Helper()
	var g protocol.Bitset
	for _, i := range cells(t, pic) {
		g.Put(i, true)
	}
	return protocol.AppendSnapshot(nil, epoch, seq, &g)
}

func delta(t testing.TB, seq uint64, pic string) []byte {
	t.Helper()
	f, err := protocol.AppendDelta(nil, seq, cells(t, pic))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// fed is a board fed by a follower, as the session feeds it.
type fed struct {
	*Board
	f *protocol.Follower
}

func newFed() fed {
	rep := new(protocol.Replica)
	return fed{New(rep), protocol.NewFollower(rep)}
}

// feed hands frame to the follower and its step to the board.
func (b fed) feed(frame []byte) error {
	st, err := b.f.Handle(frame)
	b.Follow(st)
	return err
}

func synced(t testing.TB, pic string) fed {
	t.Helper()
	b := newFed()
	if err := b.feed(snapshot(t, 1, 10, pic)); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDeltasXorInOrder(t *testing.T) {
	tests := []struct {
		name   string
		start  string
		deltas []string // flips, applied as seq 11, 12, …
		want   string
	}{
		{"one delta", "x..\n.x.", []string{"xx.\n..x"}, ".x.\n.xx"},
		{"two deltas", "...\n...", []string{"x..\n...", "x.x\n..."}, "..x\n..."},
		{"flip back", "xxx\nxxx", []string{"xxx\nxxx"}, "...\n..."},
		{"no deltas", ".x.\nx.x", nil, ".x.\nx.x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := synced(t, tc.start)
			for i, d := range tc.deltas {
				if err := b.feed(delta(t, uint64(11+i), d)); err != nil {
					t.Fatal(err)
				}
			}
			if got := corner(b.Board, 3, 2); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
			if got, want := b.Checked(), strings.Count(tc.want, "x"); got != want {
				t.Errorf("checked = %d, want %d", got, want)
			}
			if got, want := b.Seq(), uint64(10+len(tc.deltas)); got != want {
				t.Errorf("seq = %d, want %d", got, want)
			}
		})
	}
}

func TestDeltaOutOfOrderIsRefused(t *testing.T) {
	tests := []struct {
		name string
		seq  uint64
		want error
	}{
		{"gap", 12, protocol.ErrGap},
		{"duplicate", 10, protocol.ErrGap},
		{"old", 3, protocol.ErrGap},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := synced(t, "x..")
			err := b.feed(delta(t, tc.seq, ".x."))
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if got := corner(b.Board, 3, 1); got != "x.." {
				t.Errorf("board changed to %s", got)
			}
		})
	}
	b := newFed()
	if err := b.feed(delta(t, 1, "x")); err != nil || b.Synced() || corner(b.Board, 1, 1) != "." {
		t.Fatalf("delta before snapshot: err = %v, synced %v", err, b.Synced())
	}
	b = synced(t, "x..")
	if err := b.feed(protocol.AppendResync(nil, protocol.Resync{Reason: protocol.ResyncLagging})); err != nil {
		t.Fatal(err)
	}
	if err := b.feed(delta(t, 11, ".x.")); err != nil || b.Synced() || corner(b.Board, 3, 1) != "x.." {
		t.Fatalf("delta after Resync: err = %v, synced %v", err, b.Synced())
	}
}

func TestSnapshotReplacesEverything(t *testing.T) {
	b := synced(t, "xxx\nxxx")
	if err := b.feed(snapshot(t, 2, 3, "x..\n..x")); err != nil {
		t.Fatal(err)
	}
	if got, want := corner(b.Board, 3, 2), "x..\n..x"; got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if b.f.Replica().Epoch != 2 || b.Seq() != 3 || b.Checked() != 2 {
		t.Errorf("epoch, seq, checked = %d, %d, %d", b.f.Replica().Epoch, b.Seq(), b.Checked())
	}
	if _, all := b.Drain(nil); !all {
		t.Error("snapshot did not report a full redraw")
	}
}

// step is one event in an optimistic-change scenario.
type step struct {
	toggle   []int  // boxes (x in row 0) the player toggles
	delta    string // flips from the server, next seq
	reject   []int  // boxes the server refuses
	snapshot string // server state replaced
	at       time.Duration
	want     string // displayed row 0 afterwards
	pending  int
}

func TestOptimisticChangesSettle(t *testing.T) {
	tests := []struct {
		name  string
		start string
		steps []step
	}{
		{"confirmed by delta", "....", []step{
			{toggle: []int{1}, want: ".x..", pending: 1},
			{delta: ".x..", want: ".x..", pending: 0},
		}},
		{"rejected", "x...", []step{
			{toggle: []int{0, 2}, want: "..x.", pending: 2},
			{reject: []int{0, 2}, want: "x...", pending: 0},
		}},
		{"expires without confirmation", "....", []step{
			{toggle: []int{3}, want: "...x", pending: 1},
			{at: PendingTimeout - time.Millisecond, want: "...x", pending: 1},
			{at: PendingTimeout, want: "....", pending: 0},
		}},
		{"someone else's flip keeps ours pending", "....", []step{
			{toggle: []int{0}, want: "x...", pending: 1},
			{delta: "x...", want: "x...", pending: 0},
			{toggle: []int{0}, want: "....", pending: 1},
			{delta: ".x..", want: ".x..", pending: 1},
		}},
		{"snapshot settles what it agrees with", "....", []step{
			{toggle: []int{0, 1}, want: "xx..", pending: 2},
			{snapshot: "x..x", want: "xx.x", pending: 1},
			{at: PendingTimeout, want: "x..x", pending: 0},
		}},
		{"retoggle restarts the deadline", "....", []step{
			{toggle: []int{2}, want: "..x.", pending: 1},
			{at: time.Second, toggle: []int{2, 2}, want: "..x.", pending: 1},
			{at: PendingTimeout, want: "..x.", pending: 1},
			{at: PendingTimeout + time.Second, want: "....", pending: 0},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := synced(t, tc.start)
			seq := uint64(10)
			for n, s := range tc.steps {
				for _, x := range s.toggle {
					b.Toggle(uint32(x), s.at)
				}
				if s.delta != "" {
					seq++
					if err := b.feed(delta(t, seq, s.delta)); err != nil {
						t.Fatal(err)
					}
				}
				if s.reject != nil {
					idx := make([]uint32, len(s.reject))
					for i, x := range s.reject {
						idx[i] = uint32(x)
					}
					b.Reject(idx)
				}
				if s.snapshot != "" {
					seq = 20
					if err := b.feed(snapshot(t, 1, seq, s.snapshot)); err != nil {
						t.Fatal(err)
					}
				}
				b.Settle(s.at)
				if got := corner(b.Board, 4, 1); got != s.want || b.Pending() != s.pending {
					t.Fatalf("step %d: displayed %s pending %d, want %s pending %d", n, got, b.Pending(), s.want, s.pending)
				}
			}
		})
	}
}

func TestDrainReportsDisplayedChanges(t *testing.T) {
	b := synced(t, "....")
	b.Drain(nil)
	b.Toggle(1, 0)
	if err := b.feed(delta(t, 11, ".x.x")); err != nil { // confirms 1, flips 3
		t.Fatal(err)
	}
	b.Toggle(2, 0)
	b.Reject([]uint32{2})
	got, all := b.Drain(nil)
	if all {
		t.Fatal("all = true without a snapshot")
	}
	want := []uint32{1, 3, 2, 2}
	if len(got) != len(want) {
		t.Fatalf("drained %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("drained %v, want %v", got, want)
		}
	}
	if got, _ := b.Drain(nil); len(got) != 0 {
		t.Fatalf("second drain %v", got)
	}
}

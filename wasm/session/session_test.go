package session

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"checkgrid/protocol"
	"checkgrid/wasm/link"
	"checkgrid/wasm/throttle"
	"checkgrid/wasm/wording"
)

// row0 parses a picture of row 0 ('x' checked) into box indexes.
func row0(pic string) []uint32 {
	var idx []uint32
	for x, c := range pic {
		if c == 'x' {
			idx = append(idx, uint32(x))
		}
	}
	return idx
}

// shown draws row 0's first n boxes as the player sees them.
func shown(s *Session, n int) string {
	var sb strings.Builder
	for x := range n {
		if s.Board().Displayed(uint32(x)) {
			sb.WriteByte('x')
		} else {
			sb.WriteByte('.')
		}
	}
	return sb.String()
}

func welcome(maxSet, rate, burst uint16) []byte {
	return protocol.AppendWelcome(nil, protocol.Welcome{
		Version: protocol.Version1, Width: protocol.GridWidth, Height: protocol.GridHeight,
		Epoch: 7, MaxSetBoxes: maxSet, SetRate: rate, SetBurst: burst, MaxMessage: protocol.MaxClientMessage,
	})
}

func snapshotFrame(seq uint64, pic string) []byte {
	var g protocol.Bitset
	for _, i := range row0(pic) {
		g.Put(i, true)
	}
	return protocol.AppendSnapshot(nil, 7, seq, &g)
}

func deltaFrame(t *testing.T, seq uint64, pic string) []byte {
	t.Helper()
	f, err := protocol.AppendDelta(nil, seq, row0(pic))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// pipe is an in-memory Link: the test plays the connection.
type pipe struct {
	events chan link.Event
	sent   [][]byte
	drops  int
}

func newPipe() *pipe { return &pipe{events: make(chan link.Event, 16)} }

func (p *pipe) Events() <-chan link.Event { return p.events }
func (p *pipe) Send(f []byte) bool        { p.sent = append(p.sent, f); return true }
func (p *pipe) Drop()                     { p.drops++ }

// started returns a session connected, welcomed and synced at seq 10.
func started(t *testing.T, pic string, maxSet, rate, burst uint16) *Session {
	t.Helper()
	s := New(1, newPipe())
	s.setLink(link.Connected, nil)
	for _, f := range [][]byte{welcome(maxSet, rate, burst), snapshotFrame(10, pic)} {
		if err := s.handle(f, 0); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func handle(t *testing.T, s *Session, f []byte) {
	t.Helper()
	if err := s.handle(f, 0); err != nil {
		t.Fatal(err)
	}
}

func TestGapResyncsAndIgnoresDeltasUntilSnapshot(t *testing.T) {
	s := started(t, "x...", 256, 20, 60)
	handle(t, s, deltaFrame(t, 11, ".x.."))
	handle(t, s, deltaFrame(t, 13, "..x.")) // 12 is missing
	handle(t, s, deltaFrame(t, 14, "...x")) // ignored
	if got, want := shown(s, 4), "xx.."; got != want {
		t.Fatalf("after gap %s, want %s", got, want)
	}
	out := s.outbox(nil)
	if len(out) != 1 {
		t.Fatalf("outbox %d frames, want one ResyncRequest", len(out))
	}
	if r, err := protocol.DecodeResyncRequest(out[0]); err != nil || r.HaveSeq != 11 {
		t.Fatalf("resync request %+v, %v", r, err)
	}
	if len(s.outbox(nil)) != 0 {
		t.Fatal("second ResyncRequest")
	}
	if s.Toggle(0, 0) != NotSynced {
		t.Fatal("toggle allowed while unsynced")
	}
	handle(t, s, snapshotFrame(14, "xxxx"))
	handle(t, s, deltaFrame(t, 15, "x..."))
	if got, want := shown(s, 4), ".xxx"; got != want {
		t.Fatalf("after resync %s, want %s", got, want)
	}
	if st := s.Status(); st.Seq != 15 || st.Checked != 3 || !st.Synced {
		t.Fatalf("status %+v", st)
	}
}

func TestResyncFrameWaitsForSnapshot(t *testing.T) {
	s := started(t, "....", 256, 20, 60)
	handle(t, s, protocol.AppendResync(nil, protocol.Resync{Reason: protocol.ResyncLagging}))
	handle(t, s, deltaFrame(t, 11, "x..."))
	if got := shown(s, 4); got != "...." {
		t.Fatalf("delta applied during resync: %s", got)
	}
	if len(s.outbox(nil)) != 0 {
		t.Fatal("a server Resync needs no request")
	}
	handle(t, s, snapshotFrame(30, "..x."))
	handle(t, s, deltaFrame(t, 31, "...x"))
	if got := shown(s, 4); got != "..xx" {
		t.Fatalf("got %s", got)
	}
}

func TestClicksBatchIntoSortedSets(t *testing.T) {
	s := started(t, "x.....", 2, 1000, 1000)
	for _, i := range []uint32{4, 0, 2, 4} { // 4 twice: back to unchecked
		if r := s.Toggle(i, 0); r != Accepted {
			t.Fatalf("toggle %d: %v", i, r)
		}
	}
	if got, want := shown(s, 6), "..x..."; got != want {
		t.Fatalf("optimistic %s, want %s", got, want)
	}
	var sets [][]protocol.Change
	for range 3 {
		for _, f := range s.outbox(nil) {
			set, err := protocol.DecodeSet(f)
			if err != nil {
				t.Fatal(err)
			}
			ch, err := set.AppendChanges(nil)
			if err != nil {
				t.Fatal(err)
			}
			sets = append(sets, ch)
		}
	}
	want := [][]protocol.Change{{{Index: 0, Value: false}, {Index: 2, Value: true}}, {{Index: 4, Value: false}}}
	if len(sets) != len(want) {
		t.Fatalf("sets %v, want %v", sets, want)
	}
	for i := range want {
		if len(sets[i]) != len(want[i]) {
			t.Fatalf("sets %v, want %v", sets, want)
		}
		for j := range want[i] {
			if sets[i][j] != want[i][j] {
				t.Fatalf("sets %v, want %v", sets, want)
			}
		}
	}
}

func TestRejectRevertsAndCoolsDown(t *testing.T) {
	s := started(t, "....", 256, 1000, 1000)
	s.Toggle(1, 0)
	s.Toggle(2, 0)
	f, err := protocol.AppendReject(nil, protocol.RejectRate, 1500, []uint32{2})
	if err != nil {
		t.Fatal(err)
	}
	handle(t, s, f)
	if got := shown(s, 4); got != ".x.." {
		t.Fatalf("after reject %s", got)
	}
	l := s.Limit(0)
	if l.Source != throttle.Server || l.Quip == "" || l.Remaining != 1500*time.Millisecond || !strings.Contains(l.Why, "server") {
		t.Fatalf("limit %+v", l)
	}
	if r := s.Toggle(3, time.Second); r != Cooling {
		t.Fatalf("toggle during cooldown: %v", r)
	}
	if s.Status().Rejected != 1 {
		t.Fatal("reject not counted")
	}
	// The renderer is told which boxes were refused: the server's and ours.
	if got := s.DrainRefused(nil); !slices.Equal(got, []uint32{2, 3}) {
		t.Fatalf("refused %v, want [2 3]", got)
	}
	if got := s.DrainRefused(nil); len(got) != 0 {
		t.Fatalf("refused again %v", got)
	}
	first := l.Quip
	handle(t, s, f) // the same episode: the same quip
	if got := s.Message(time.Second); got != first {
		t.Fatalf("quip changed within an episode: %q, then %q", first, got)
	}
	if r := s.Toggle(3, 3*time.Second); r != Accepted {
		t.Fatalf("toggle after cooldown: %v", r)
	}
	if err := s.handle(f, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if got := s.Message(5 * time.Second); got == first {
		t.Fatal("a new episode repeated the last quip")
	}
}

func TestBucketLimitsClicksBeforeTheServerDoes(t *testing.T) {
	s := started(t, "..........", 256, 1, 5)
	got := ""
	for i := range uint32(6) {
		got += s.Toggle(i, 0).String() + " "
	}
	// 90% of a burst of 5 is 4; the fifth click starts a cooldown.
	if want := "accepted accepted accepted accepted limited cooling "; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	l := s.Limit(0)
	if l.Source != throttle.Ours || l.Quip == "" || l.Remaining < time.Second || !strings.Contains(l.Why, "own limit") {
		t.Fatalf("limit %+v: want our own, with a countdown of seconds", l)
	}
}

func TestPaintSkipsBoxesAlreadyDrawn(t *testing.T) {
	s := started(t, ".x..", 256, 1, 3) // two tokens
	for i := range uint32(4) {
		s.Paint(i, true, 0)
	}
	if got := shown(s, 4); got != "xxx." {
		t.Fatalf("painted %s, want xxx. (box 1 was free, box 3 over the limit)", got)
	}
}

func TestBadFramesAreRefused(t *testing.T) {
	s := started(t, "....", 256, 20, 60)
	set, err := protocol.AppendSet(nil, []protocol.Change{{Index: 1, Value: true}})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range [][]byte{
		nil,
		{0x7f},
		set,
		deltaFrame(t, 11, "x...")[:14],
		protocol.AppendStats(nil, protocol.Stats{Checked: 2e6}),
	} {
		if err := s.handle(f, 0); !errors.Is(err, ErrFrame) {
			t.Errorf("frame %x: err %v", f, err)
		}
	}
	v := welcome(256, 20, 60)
	v[1] = 9
	if err := s.handle(v, 0); !errors.Is(err, protocol.ErrVersion) || s.Fatal() == "" {
		t.Errorf("other version: err %v, fatal %q", err, s.Fatal())
	}
}

func TestReconnectWaitsForTheNewSnapshot(t *testing.T) {
	s := started(t, "....", 256, 20, 60)
	s.Toggle(0, 0)
	s.setLink(link.Reconnecting, errors.New("gone"))
	if r := s.Toggle(1, 0); r != NotSynced {
		t.Fatalf("toggle while reconnecting: %v", r)
	}
	s.setLink(link.Connected, nil)
	if len(s.outbox(nil)) != 0 {
		t.Fatal("a change from the old connection was sent on the new one")
	}
	handle(t, s, welcome(256, 20, 60))
	handle(t, s, snapshotFrame(50, "...x"))
	// Box 0's change never reached the server: it shows until it expires.
	if got := shown(s, 4); got != "x..x" {
		t.Fatalf("got %s", got)
	}
	s.Update(time.Minute)
	if got := shown(s, 4); got != "...x" {
		t.Fatalf("after settling %s", got)
	}
}

// TestUpdateOwnsTheLink drives a session only through its Link: state
// changes and frames in, Sets out, a bad frame drops the connection, and a
// version mismatch does not (the server closes it for good).
func TestUpdateOwnsTheLink(t *testing.T) {
	p := newPipe()
	s := New(1, p)
	p.events <- link.Event{State: link.Connecting}
	p.events <- link.Event{State: link.Connected}
	p.events <- link.Event{Frame: welcome(256, 20, 60)}
	p.events <- link.Event{Frame: snapshotFrame(10, "x...")}
	s.Update(0)
	if st := s.Status(); st.State != link.Connected || !st.Synced || st.Seq != 10 {
		t.Fatalf("after Update: %+v", st)
	}
	if r := s.Toggle(2, 0); r != Accepted {
		t.Fatalf("toggle: %v", r)
	}
	s.Update(0)
	if len(p.sent) != 1 {
		t.Fatalf("sent %d frames, want one Set", len(p.sent))
	}
	set, err := protocol.DecodeSet(p.sent[0])
	if err != nil {
		t.Fatal(err)
	}
	if ch, err := set.AppendChanges(nil); err != nil || len(ch) != 1 || ch[0] != (protocol.Change{Index: 2, Value: true}) {
		t.Fatalf("set %+v, %v", ch, err)
	}
	p.events <- link.Event{Frame: []byte{0x7f}}
	s.Update(0)
	if p.drops != 1 {
		t.Fatalf("bad frame: %d drops, want 1", p.drops)
	}
	v := welcome(256, 20, 60)
	v[1] = 9
	p.events <- link.Event{Frame: v}
	s.Update(0)
	if p.drops != 1 || s.Fatal() == "" {
		t.Fatalf("version mismatch: %d drops, fatal %q", p.drops, s.Fatal())
	}
}

// TestFastClickingMeetsTheClickLimit: the server's budget is for drawing
// (20 a second, bursts of 300), so clicking alone never reaches it; the
// click budget does, for a player clicking ten times a second, and a
// stroke is not held to it.
func TestFastClickingMeetsTheClickLimit(t *testing.T) {
	s := started(t, "", 256, 20, 300)
	var at time.Duration
	accepted := 0
	for k := range 100 {
		at = time.Duration(k) * 100 * time.Millisecond
		if s.Toggle(uint32(k), at) != Accepted {
			break
		}
		accepted++
	}
	if accepted >= 100 {
		t.Fatal("ten clicks a second for ten seconds were never limited")
	}
	l := s.Limit(at)
	if l.Source != throttle.Ours || !strings.Contains(l.Why, "clicks a second") || l.Remaining < time.Second {
		t.Fatalf("limit after %d clicks: %+v", accepted, l)
	}
	t.Logf("limited after %d clicks at 10/s: %q / %q, %v", accepted, l.Quip, l.Why, l.Remaining)
	// The episode refuses everything until it ends: no box slips through
	// to make a stroke dashed.
	for k := range 10 {
		now := at + time.Duration(k)*100*time.Millisecond
		if r := s.Paint(uint32(500+k), true, now); r != Cooling {
			t.Fatalf("paint %d during the episode: %v", k, r)
		}
	}
	// After it, a stroke is not held to the click budget.
	end := at + l.Remaining
	for k := range 30 {
		if r := s.Paint(uint32(600+k), true, end); r != Accepted {
			t.Fatalf("stroke box %d after the episode: %v", k, r)
		}
	}
}

// TestOfflineClicksArePausedAndSaySo: a click while the connection is
// down is refused, not queued (nothing of it is sent once back), and the
// banner says clicks are paused (it used to promise they would wait).
func TestOfflineClicksArePausedAndSaySo(t *testing.T) {
	s := started(t, "....", 256, 20, 60)
	s.setLink(link.Reconnecting, errors.New("gone"))
	if r := s.Toggle(1, 0); r != NotSynced {
		t.Fatalf("a click while offline: %v, want refused (NotSynced)", r)
	}
	s.setLink(link.Connected, nil)
	handle(t, s, welcome(256, 20, 60))
	handle(t, s, snapshotFrame(50, "...."))
	s.Update(time.Second)
	if out := s.outbox(nil); len(out) != 0 || shown(s, 4) != "...." {
		t.Fatalf("the offline click was kept: %d frames out, grid %s", len(out), shown(s, 4))
	}
	if !strings.Contains(wording.Lost2, "paused") || strings.Contains(wording.Lost2, "wait") {
		t.Errorf("the offline banner says %q: it must say clicks are paused, not that they wait", wording.Lost2)
	}
}

// TestFrozenAndBannedSaySoInWords: a Reject frozen reverts the boxes and
// says why in words without holding the player back elsewhere; a Reject
// banned says so, with when it ends, and holds clicks back.
func TestFrozenAndBannedSaySoInWords(t *testing.T) {
	s := started(t, "....", 256, 1000, 1000)
	s.Toggle(1, 0)
	handle(t, s, must(t)(protocol.AppendReject(nil, protocol.RejectFrozen, 0, []uint32{1})))
	if got := shown(s, 4); got != "...." {
		t.Fatalf("after a frozen reject %s", got)
	}
	l := s.Limit(0)
	if l.Source != throttle.Frozen || l.Quip != wording.Frozen || l.Why != wording.FrozenWhy {
		t.Fatalf("frozen: %+v", l)
	}
	if r := s.Toggle(3, time.Millisecond); r != Accepted {
		t.Fatalf("a box elsewhere after a frozen reject: %v", r)
	}
	if s.Message(time.Second) != wording.Frozen {
		t.Fatal("the frozen message did not stay long enough to read")
	}

	handle(t, s, must(t)(protocol.AppendReject(nil, protocol.RejectBanned, 90*60*1000, []uint32{3})))
	l = s.Limit(0)
	if l.Source != throttle.Banned || l.Quip != wording.Banned || l.Why != fmt.Sprintf(wording.BannedEndFmt, "90 min") {
		t.Fatalf("banned: %+v", l)
	}
	if r := s.Toggle(2, time.Second); r != Cooling {
		t.Fatalf("a click while banned: %v", r)
	}
	handle(t, s, must(t)(protocol.AppendReject(nil, protocol.RejectBanned, 0, []uint32{2})))
	if l := s.Limit(0); l.Why != wording.BannedWhy {
		t.Fatalf("ban with no end: %+v", l)
	}
}

func must(t *testing.T) func([]byte, error) []byte {
	return func(b []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
}

// TestClickBudgetEmptiesAndRefills: the budget the HUD shows is full at
// first, falls with each click, is empty while refused, and refills at the
// rate once the episode is over.
func TestClickBudgetEmptiesAndRefills(t *testing.T) {
	s := started(t, "..........", 256, 20, 60)
	if b := s.ClickBudget(0); b != 1 {
		t.Fatalf("budget before any click %v, want full", b)
	}
	last := 1.0
	for i := range uint32(4) {
		s.Toggle(i, 0)
		b := s.ClickBudget(0)
		if b >= last {
			t.Fatalf("click %d: budget %v, was %v: want it to fall", i, b, last)
		}
		last = b
	}
	for i := uint32(4); s.Toggle(i, 0) == Accepted; i++ {
	}
	if b := s.ClickBudget(0); b != 0 {
		t.Fatalf("budget while refused %v, want 0", b)
	}
	end := s.Limit(0).Remaining
	if b := s.ClickBudget(end + 10*time.Second); b != 1 {
		t.Fatalf("budget 10 s after the episode %v, want full again", b)
	}
}

// A passive player's DeltaRange (PROTOCOL.md, "Pacing") moves the board
// from its seq to the range's end with the net change; one that does not
// start where the board is asks for a resync, like a gap in Deltas.
func TestDeltaRangeAppliesOrResyncs(t *testing.T) {
	s := started(t, "x...", 256, 20, 60)
	handle(t, s, must(t)(protocol.AppendDeltaRange(nil, 13, 10, row0(".xx."))))
	if got, want := shown(s, 4), "xxx."; got != want || s.board.Seq() != 13 {
		t.Fatalf("after the range: %s at %d, want %s at 13", got, s.board.Seq(), want)
	}
	handle(t, s, must(t)(protocol.AppendDeltaRange(nil, 16, 13, nil))) // nothing changed: only the seq moves
	handle(t, s, deltaFrame(t, 17, "...x"))
	if got, want := shown(s, 4), "xxxx"; got != want || s.board.Seq() != 17 {
		t.Fatalf("after an empty range and a Delta: %s at %d, want %s at 17", got, s.board.Seq(), want)
	}
	handle(t, s, must(t)(protocol.AppendDeltaRange(nil, 30, 20, row0("x...")))) // 18–20 missed
	if got := shown(s, 4); got != "xxxx" {
		t.Fatalf("a range that does not follow was applied: %s", got)
	}
	if out := s.outbox(nil); len(out) != 1 || out[0][0] != byte(protocol.TypeResyncRequest) {
		t.Fatalf("outbox after a range that does not follow: %d frames, want one ResyncRequest", len(out))
	}
}

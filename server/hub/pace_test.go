package hub

import (
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/limits"
)

// paceConfig makes players passive after 30 ms of quiet, at a 5 ms tick.
func paceConfig() Config {
	return Config{PlayerRate: limits.Rate{Per: 1000000, Burst: 1000000}, AddressRate: limits.Rate{Per: 1000000, Burst: 1000000}, PassiveAfter: 30 * time.Millisecond,
		MessageRate: limits.Rate{Per: 100000, Burst: 100000}}
}

// watcher is a version-3 whole-grid client (the viewer of viewport_test.go
// asks for version 3).
func (th *testHub) watcher(t *testing.T, key string, outFrames int, gate ...chan struct{}) *areaPlayer {
	t.Helper()
	v := &areaPlayer{t: t, conn: newMemConn(outFrames), ended: make(chan struct{}), counts: map[protocol.FrameType]int{}}
	v.follow = protocol.NewFollower(&v.rep)
	if len(gate) > 0 {
		v.conn.gate = gate[0]
	}
	th.Go(v.conn, key, netip.MustParsePrefix("192.0.2.3/32"), Admission{Version: protocol.Version3}, func() { close(v.ended) })
	return v
}

// A passive player's grid equals an active player's after every
// DeltaRange, over a long random run: the active players (version 1, and
// version 2 at the whole grid) follow every Delta, and the passive ones
// (version 3, idle) get one DeltaRange per PaceTicks Deltas, the same grid
// at the same seq each time. The passive players are spread over the
// phases: each Delta is due for a PaceTicks-th of them, never all at once.
func TestPassivePlayerFollowsExactly(t *testing.T) {
	const watchers = 2 * PaceTicks
	cfg := paceConfig()
	// A tick long enough that one turn of the loop below (a Set, its
	// Delta, every player's frames) fits in it even under -race: a grid
	// quiet for PaceTicks ticks closes every phase at once.
	cfg.Tick = 25 * time.Millisecond
	th := startHub(t, cfg)
	clicker := th.join(t, "clicker", 1024)
	whole2 := th.areaClient(t, "whole2", 1024, protocol.WholeGrid)
	var passive []*areaPlayer
	for i := range watchers {
		passive = append(passive, th.watcher(t, fmt.Sprintf("passive%d", i), 1024))
	}
	clicker.untilSeq(0)
	whole2.until(protocol.TypeSnapshot)
	for _, p := range passive {
		p.until(protocol.TypeSnapshot)
		if p.welcome.Version != protocol.Version3 {
			t.Fatalf("welcome %+v", p.welcome)
		}
	}

	// Fingerprints of the active players' grid at every seq, and how many
	// passive players got a DeltaRange ending at each.
	seen := map[uint64][32]byte{}
	ending := map[uint64]int{}
	r := rand.New(rand.NewPCG(3, 4))
	ranges, deltasAfter := 0, 0
	for tick := 0; ranges < 40*watchers && tick < 4000; tick++ {
		// A small region, so boxes flip back and forth within a group.
		var changes []protocol.Change
		for i := range 64 {
			if r.IntN(8) == 0 {
				changes = append(changes, protocol.Change{Index: uint32(i), Value: !clicker.rep.Grid.Get(uint32(i))})
			}
		}
		if len(changes) == 0 {
			changes = append(changes, protocol.Change{Index: 70, Value: !clicker.rep.Grid.Get(70)})
		}
		clicker.set(changes...)
		clicker.until(protocol.TypeDelta)
		seen[clicker.rep.Seq] = sha256.Sum256(bitsetBytes(&clicker.rep.Grid))
		whole2.untilSeq(clicker.rep.Seq)
		if whole2.rep.Grid != clicker.rep.Grid {
			t.Fatal("the version-2 whole-grid player and the version-1 player differ")
		}
		// What the passive players got meanwhile.
		for _, p := range passive {
			for {
				var f []byte
				select {
				case f = <-p.conn.out:
				default:
				}
				if f == nil {
					break
				}
				switch p.apply(f) {
				case protocol.TypeDeltaRange:
					ranges++
					ending[p.rep.Seq]++
					if sum, ok := seen[p.rep.Seq]; !ok || sum != sha256.Sum256(bitsetBytes(&p.rep.Grid)) {
						t.Fatalf("after a DeltaRange to seq %d the passive grid differs from the active one", p.rep.Seq)
					}
				case protocol.TypeDelta:
					if p.counts[protocol.TypeDeltaRange] > 0 {
						deltasAfter++
					}
				}
			}
		}
	}
	if ranges < 40*watchers {
		t.Fatalf("only %d DeltaRanges in the run: the idle version-3 players never went passive", ranges)
	}
	if deltasAfter > 0 {
		t.Fatalf("passive players got %d Deltas besides their DeltaRanges", deltasAfter)
	}
	for i, p := range passive {
		if got := p.counts[protocol.TypeDeltaRange]; got*PaceTicks > clicker.deltas+PaceTicks {
			t.Fatalf("passive%d: %d DeltaRanges for %d Deltas: more than one per %d", i, got, clicker.deltas, PaceTicks) // the default
		}
	}
	// Staggered: a Delta is due for one phase, so a seq's DeltaRange goes
	// to a phase's share of the passive players, and every phase is used.
	// A grid quiet for PaceTicks ticks closes every phase at the same seq
	// (TestQuietGridClosesEveryPhase), which a stalled test run can cause
	// now and then: so nine in ten, not all (without phases: none).
	phases := map[uint64]bool{}
	shared := 0
	for seq, n := range ending {
		if n > watchers/PaceTicks {
			shared += n
		}
		phases[seq%PaceTicks] = true
	}
	if shared*10 > ranges {
		t.Fatalf("%d of %d DeltaRanges went to more than one phase's share (%d of %d players) at once: the passive players are not staggered", shared, ranges, watchers/PaceTicks, watchers)
	}
	if len(phases) != PaceTicks {
		t.Fatalf("DeltaRanges ended at seqs of %d residues mod %d: the passive players are not spread over the phases", len(phases), PaceTicks)
	}
}

// On a grid that goes quiet, every phase's open group is closed within
// PaceTicks tick periods: each passive player comes to hold the last seq.
func TestQuietGridClosesEveryPhase(t *testing.T) {
	th := startHub(t, paceConfig())
	clicker := th.join(t, "clicker", 1024)
	var passive []*areaPlayer
	for i := range PaceTicks {
		passive = append(passive, th.watcher(t, fmt.Sprintf("passive%d", i), 1024))
	}
	clicker.untilSeq(0)
	for _, p := range passive {
		p.until(protocol.TypeSnapshot)
	}
	clickUntilPaced(clicker, passive...)
	// The clicks stop at a seq most phases are not due at.
	clicker.set(protocol.Change{Index: 900, Value: true})
	clicker.until(protocol.TypeDelta)
	for i, p := range passive {
		p.untilSeq(clicker.rep.Seq) // next() fails the test after 5 s without a frame
		if p.rep.Grid != clicker.rep.Grid {
			t.Fatalf("passive%d at seq %d differs from the active player", i, p.rep.Seq)
		}
	}
}

// A passive player who clicks is active again within one tick: its own
// box reaches it in the next frame that carries it, and from then on it
// gets every Delta until it has been quiet again for PassiveAfter.
func TestWakingPlayerGetsEveryDelta(t *testing.T) {
	cfg := paceConfig()
	cfg.PassiveAfter = 200 * time.Millisecond
	th := startHub(t, cfg)
	clicker := th.join(t, "clicker", 1024)
	w := th.watcher(t, "w", 1024)
	clicker.untilSeq(0)
	w.until(protocol.TypeSnapshot)
	clickUntilPaced(clicker, w)
	// Passive now. Its click:
	const mine = 777777
	f, err := protocol.AppendSet(nil, []protocol.Change{{Index: mine, Value: true}})
	if err != nil {
		t.Fatal(err)
	}
	w.conn.in <- f
	for !w.rep.Grid.Get(mine) {
		typ := w.apply(w.next())
		if typ == protocol.TypeDeltaRange && w.rep.Grid.Get(mine) {
			break // the catch-up already held it
		}
	}
	// Every tick from now on is a Delta, applied in order by the replica.
	clicker.untilSeq(w.rep.Seq)
	deltas := w.counts[protocol.TypeDelta]
	ranges := w.counts[protocol.TypeDeltaRange]
	for i := range 10 {
		clicker.set(protocol.Change{Index: uint32(5000 + i), Value: true})
		clicker.until(protocol.TypeDelta)
		w.untilSeq(clicker.rep.Seq)
	}
	if got := w.counts[protocol.TypeDelta] - deltas; got < 10 || w.counts[protocol.TypeDeltaRange] != ranges {
		t.Fatalf("after waking: %d Deltas and %d DeltaRanges for 10 ticks; want every Delta",
			got, w.counts[protocol.TypeDeltaRange]-ranges)
	}
	if w.rep.Grid != clicker.rep.Grid {
		t.Fatal("the woken player's grid differs")
	}
}

// A passive player whose outbox overflows is resynced and follows again,
// never applying a DeltaRange that does not follow.
func TestPassiveLaggingIsResynced(t *testing.T) {
	cfg := paceConfig()
	cfg.OutboxFrames = 2
	th := startHub(t, cfg)
	clicker := th.join(t, "clicker", 1024)
	w := th.watcher(t, "w", 4)
	clicker.untilSeq(0)
	w.until(protocol.TypeSnapshot)
	clickUntilPaced(clicker, w)
	// It stops reading for many groups: 4 frames in its socket, 2 in its
	// outbox, then it lags.
	for i := range 60 {
		clicker.set(protocol.Change{Index: uint32(200 + i), Value: true})
		clicker.until(protocol.TypeDelta)
	}
	w.untilSeq(clicker.rep.Seq)
	if len(w.resyncs) == 0 || w.resyncs[0] != protocol.ResyncLagging {
		t.Fatalf("resyncs %v, want lagging", w.resyncs)
	}
	if w.rep.Grid != clicker.rep.Grid {
		t.Fatal("the resynced passive player's grid differs")
	}
}

// clickUntilPaced has clicker flip boxes 0–49 back and forth, a Delta
// each, until every watcher has had a DeltaRange: they are all passive.
func clickUntilPaced(clicker *player, watchers ...*areaPlayer) {
	for i := 0; ; i++ {
		clicker.set(protocol.Change{Index: uint32(i % 50), Value: i%100 < 50})
		clicker.until(protocol.TypeDelta)
		paced := true
		for _, w := range watchers {
			w.drain(time.Millisecond)
			paced = paced && w.counts[protocol.TypeDeltaRange] > 0
		}
		if paced {
			return
		}
	}
}

func bitsetBytes(b *protocol.Bitset) []byte {
	out := make([]byte, 0, protocol.BitsetBytes)
	for _, w := range b {
		for k := range 8 {
			out = append(out, byte(w>>(8*k)))
		}
	}
	return out
}

// untilSeq applies frames until the viewer holds seq.
func (v *areaPlayer) untilSeq(seq uint64) {
	v.t.Helper()
	for !v.rep.Synced() || v.rep.Seq < seq {
		v.apply(v.next())
	}
}

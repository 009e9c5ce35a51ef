package main

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/coder/websocket"

	"checkgrid/protocol"
	"checkgrid/server/pause"
)

// Role is what a simulated player does besides reading.
type Role uint8

// Roles. Every role reads and counts what the server sends (watcher.go);
// observers also decode Deltas to time toggles (observer.go).
const (
	RoleWatcher  Role = iota + 1 // only reads
	RoleObserver                 // reads and decodes every Delta
	RoleClicker                  // one box at a time at -click-rate, toggling boxes it owns
	RoleDrawer                   // lines of adjacent boxes (one Set per line)
	RoleAbuser                   // exceeds every limit, reconnects after each close
	RoleViewer                   // version 2: zoomed in, moving (viewer.go)
)

func (r Role) String() string {
	switch r {
	case RoleWatcher:
		return "watcher"
	case RoleObserver:
		return "observer"
	case RoleClicker:
		return "clicker"
	case RoleDrawer:
		return "drawer"
	case RoleAbuser:
		return "abuser"
	case RoleViewer:
		return "viewer"
	}
	return "Role(?)"
}

// Grid regions, so the roles never touch each other's boxes: a clicker
// knows each of its boxes' value and so every click is a real flip that
// must show up in a Delta (toggle-to-seen needs that), and a drawer's lines
// are not broken up by clicks. Without drawers and abusers the clickers
// own the whole grid (clickEnd): toggles spread over all of it, as the
// viewport figures assume.
const (
	clickRegionEnd  = 600 * protocol.GridWidth // rows 0–599: clickers, interleaved
	drawRegionStart = clickRegionEnd           // rows 600–899: drawers, one segment each
	drawRegionEnd   = 900 * protocol.GridWidth
	abuseRegion     = drawRegionEnd // rows 900–999: abusers
)

// clickEnd is the end of the clickers' region for c.
func clickEnd(c config) int {
	if c.drawers == 0 && c.abusers == 0 {
		return protocol.Boxes
	}
	return clickRegionEnd
}

// assignRoles returns the role of each connection, shuffled by seed so the
// ramp mixes roles and source addresses, with the observers spread evenly
// through the join order: a sender writes a broadcast to its clients in
// join order, so observers joining first would measure the best place in
// it, not the spread of places every player has.
func assignRoles(c config) []Role {
	roles := make([]Role, 0, c.players())
	add := func(r Role, n int) {
		for range n {
			roles = append(roles, r)
		}
	}
	add(RoleWatcher, c.watchers)
	add(RoleClicker, c.clickers)
	add(RoleDrawer, c.drawers)
	add(RoleAbuser, c.abusers)
	add(RoleViewer, c.viewers)
	rng := rand.New(rand.NewPCG(c.seed, 1))
	rng.Shuffle(len(roles), func(i, j int) { roles[i], roles[j] = roles[j], roles[i] })
	out := make([]Role, 0, c.players())
	for i, next := 0, 0; i < c.observers; i++ {
		at := i * len(roles) / max(c.observers, 1)
		out = append(append(out, roles[next:at]...), RoleObserver)
		next = at
		if i == c.observers-1 {
			out = append(out, roles[at:]...)
		}
	}
	if c.observers == 0 {
		out = roles
	}
	return out
}

// clicker toggles boxes it owns — every clickers-th box of the click
// region, starting at its rank — one per click, in order from a random
// start, so a box is clicked again only after all its others.
type clicker struct {
	rank, of int
	end      int              // the clickers' region is boxes [0, end)
	initial  *protocol.Bitset // the grid when the run started; read only
	flipped  []uint64         // parity of this clicker's flips, by owned slot
	next     int
}

func newClicker(rank, of, end int, initial *protocol.Bitset, rng *rand.Rand) *clicker {
	owned := (end - rank + of - 1) / of
	return &clicker{rank: rank, of: of, end: end, initial: initial, flipped: make([]uint64, (owned+63)/64), next: rng.IntN(owned)}
}

// click returns the next box and the value that flips it.
func (c *clicker) click() protocol.Change {
	owned := (c.end - c.rank + c.of - 1) / c.of
	slot := c.next
	c.next = (c.next + 1) % owned
	box := uint32(c.rank + slot*c.of)
	c.flipped[slot/64] ^= 1 << (slot % 64)
	odd := c.flipped[slot/64]>>(slot%64)&1 != 0
	return protocol.Change{Index: box, Value: c.initial.Get(box) != odd}
}

// runClicker sends one click every period until ctx ends or a write fails,
// recording each send time for the observers.
func (r *wsRun) runClicker(ctx context.Context, conn frameConn, c *clicker, period time.Duration, rng *rand.Rand) {
	var frame []byte
	one := make([]protocol.Change, 1)
	if !pause.For(ctx, time.Duration(rng.Int64N(int64(period)))) { // spread the phase
		return
	}
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		one[0] = c.click()
		frame, _ = protocol.AppendSet(frame[:0], one)
		r.sent.record(one[0].Index, time.Now())
		if conn.writeBinary(frame) != nil {
			return
		}
		r.ctr.sets.Add(1)
		r.ctr.setBoxes.Add(1)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// runDrawer paints its segment line by line, then erases it, and so on:
// each Set is drawLen adjacent boxes that all flip.
func (r *wsRun) runDrawer(ctx context.Context, conn frameConn, rank int, rng *rand.Rand) {
	seg := (drawRegionEnd - drawRegionStart) / r.cfg.drawers
	seg = max(seg, 1)
	start := drawRegionStart + (rank*seg)%(drawRegionEnd-drawRegionStart)
	n := min(r.cfg.drawLen, seg)
	changes := make([]protocol.Change, 0, n)
	var frame []byte
	pos, paint := 0, true
	if !pause.For(ctx, time.Duration(rng.Int64N(int64(r.cfg.drawEvery)))) {
		return
	}
	t := time.NewTicker(r.cfg.drawEvery)
	defer t.Stop()
	for {
		changes = changes[:0]
		for i := pos; i < min(pos+n, seg); i++ {
			changes = append(changes, protocol.Change{Index: uint32(start + i), Value: paint})
		}
		if pos += n; pos >= seg {
			pos, paint = 0, !paint
		}
		frame, _ = protocol.AppendSet(frame[:0], changes)
		if conn.writeBinary(frame) != nil {
			return
		}
		r.ctr.sets.Add(1)
		r.ctr.setBoxes.Add(int64(len(changes)))
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Abuse is one way an abusive bot breaks the rules; each connection of a
// bot uses the next one.
type Abuse uint8

// Abuses, with what the server should answer.
const (
	AbuseFast      Abuse = iota // Sets far over the rate: Rejects (rate), then close 4006 abuse
	AbuseOversized              // a Set of max+1 boxes: close 4000 protocol_error
	AbuseGarbage                // random bytes: close 4000 protocol_error
	AbuseTooLong                // a message over 4096 bytes: close 1009 message_too_big
	abuseKinds
)

func (a Abuse) String() string {
	switch a {
	case AbuseFast:
		return "fast"
	case AbuseOversized:
		return "oversized"
	case AbuseGarbage:
		return "garbage"
	case AbuseTooLong:
		return "too_long"
	}
	return "Abuse(?)"
}

// Abuser pacing: fast enough to exceed the default 20 boxes/s by 100×.
const (
	abuseEvery    = 5 * time.Millisecond
	abuseSetBoxes = 10
)

// runAbuser misbehaves in way a until the server closes the connection or
// ctx ends. maxSet is the Welcome's per-Set limit.
func (r *wsRun) runAbuser(ctx context.Context, conn *websocket.Conn, a Abuse, rank, maxSet int, rng *rand.Rand) {
	base := abuseRegion + (rank*2048)%(protocol.Boxes-abuseRegion-2048)
	run := func(n int) []protocol.Change {
		cs := make([]protocol.Change, n)
		for i := range cs {
			cs[i] = protocol.Change{Index: uint32(base + i), Value: rng.IntN(2) == 0}
		}
		return cs
	}
	write := func(b []byte, boxes int) bool {
		if conn.Write(ctx, websocket.MessageBinary, b) != nil {
			return false
		}
		r.ctr.sets.Add(1)
		r.ctr.setBoxes.Add(int64(boxes))
		return true
	}
	switch a {
	case AbuseFast:
		frame, _ := protocol.AppendSet(nil, run(abuseSetBoxes))
		t := time.NewTicker(abuseEvery)
		defer t.Stop()
		for write(frame, abuseSetBoxes) {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	case AbuseOversized:
		n := min(maxSet+1, protocol.MaxSetBoxes)
		frame, _ := protocol.AppendSet(nil, run(n))
		write(frame, n)
	case AbuseGarbage:
		b := make([]byte, 1+rng.IntN(200))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		b[0] = byte(protocol.TypeSet) // claims to be a Set, so it reaches the decoder
		write(b, 0)
	case AbuseTooLong:
		write(make([]byte, 2*protocol.MaxClientMessage), 0)
	}
}

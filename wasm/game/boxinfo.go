package game

import (
	"context"
	"time"

	"checkgrid/wasm/timeline"
)

// The hover label's history line (issue 21: "the hover label says when a
// box last changed and how often"): once the pointer rests on a box for
// boxInfoDelay, one request to /api/history/box on a goroutine (one at a
// time); the answer is kept per box until the box changes on screen (the
// board's drained changes, or a Snapshot replacing it), so a box is asked
// about again only after it changed: the answer then names the seq it
// holds for. A box the player changed is asked about only once the server
// has it (not while the change is pending), and an answer asked for before
// its box changed is dropped, as is one about a seq before the client's
// when it asked (a browser may serve an answer from its HTTP cache for up
// to a second, Cache-Control max-age=1): that box is asked again after
// boxInfoRetry. Not on touch (no hover), not in the past (the
// answer is about now).

// Box info tuning.
const (
	// boxInfoDelay debounces: a pointer sweeping across boxes asks
	// nothing; resting this long on one asks once.
	boxInfoDelay = 250 * time.Millisecond
	// boxInfoRetry: after an error (a server still building its index
	// answers 503 with Retry-After: 1), ask again no sooner than this.
	boxInfoRetry = time.Second
	// boxInfoCache bounds the answers kept; past it they are all dropped
	// (a few hundred boxes hovered is minutes of pointing).
	boxInfoCache = 512
)

// boxInfos is the hover label's history: answers per box and the request
// in flight.
type boxInfos struct {
	cache    map[uint32]timeline.BoxInfo
	box      uint32        // the box the pointer rests on
	on       bool          // it rests on one
	since    time.Duration // since when
	inflight bool
	asked    uint32 // the box in flight
	askedSeq uint64 // the board's seq when it was asked: the answer must hold at least that far
	drop     bool   // it changed since it was asked: its answer is stale
	failedAt time.Duration
	failed   bool
	results  chan boxInfoResult
}

type boxInfoResult struct {
	info timeline.BoxInfo
	box  uint32
	err  error
}

// updateBoxInfo takes an answer, forgets the boxes that changed (changed,
// or all of them), and asks about the hovered box once it rested long
// enough and no answer for it is kept.
func (g *Game) updateBoxInfo(now time.Duration, changed []uint32, all bool) {
	b := &g.boxInfo
	if b.cache == nil {
		b.cache, b.results = map[uint32]timeline.BoxInfo{}, make(chan boxInfoResult, 1)
	}
	select {
	case r := <-b.results:
		b.inflight = false
		switch {
		case r.err != nil, r.info.Seq < b.askedSeq:
			b.failed, b.failedAt = true, now
		case b.drop:
		default:
			b.failed = false
			if len(b.cache) >= boxInfoCache {
				clear(b.cache)
			}
			b.cache[r.box] = r.info
		}
		b.drop = false
	default:
	}
	if all {
		clear(b.cache)
		b.drop = b.inflight
	}
	for _, i := range changed {
		delete(b.cache, i)
		b.drop = b.drop || (b.inflight && i == b.asked)
	}
	hovering := g.ptr.hoverOK && !g.ptr.touchMode && !g.tm.past() && g.tm.src != nil && g.board.Synced()
	if !hovering {
		b.on = false
		return
	}
	if !b.on || b.box != g.ptr.hover {
		b.on, b.box, b.since = true, g.ptr.hover, now
	}
	if _, ok := b.cache[b.box]; ok || b.inflight || now-b.since < boxInfoDelay || (b.failed && now-b.failedAt < boxInfoRetry) {
		return
	}
	if g.board.Displayed(b.box) != g.board.Server(b.box) {
		return // the player's own change, not committed yet
	}
	b.inflight, b.asked, b.askedSeq = true, b.box, g.board.Seq()
	src, box, results := g.tm.src, b.box, b.results
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), historyTimeout)
		defer cancel()
		info, err := src.Box(ctx, box)
		results <- boxInfoResult{info: info, box: box, err: err}
	}()
}

// boxInfoLine is the hover label's history line for the hovered box ("" if
// not known).
func (g *Game) boxInfoLine() string {
	b := &g.boxInfo
	if !g.ptr.hoverOK || g.ptr.touchMode || g.tm.past() {
		return ""
	}
	info, ok := b.cache[g.ptr.hover]
	if !ok {
		return ""
	}
	return info.Label(time.Local)
}

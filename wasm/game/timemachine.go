package game

import (
	"context"
	"time"

	"checkgrid/protocol"
	"checkgrid/wasm/fetch"
	"checkgrid/wasm/timeline"
)

// The time machine on screen (issue 21): the past shown read-only in place
// of the live grid, moved by the scrubber (the page's panel, or keys on the
// desktop), played at a speed, and left with Live. The grid of a moment
// comes from /api/history/snapshot?time=, and playing carries it forward
// with playback frames (package timeline); both run on a goroutine each
// and hand their results to Update through results, tagged with the plan
// (gen) they belong to, so a result of an abandoned plan is dropped.

// Time machine tuning.
const (
	// playFPS is the playback frames a second asked of the server: enough
	// to see a drawing grow, few enough that a day a minute is 2-minute
	// points (timeline.Every), which a cache shares between players.
	playFPS = 10
	// historyTimeout bounds one history request.
	historyTimeout = 30 * time.Second
	// stepShare is the share of the span a desktop step key moves.
	stepShare = 100
	// maxResultsPerUpdate bounds the results applied in one Update.
	maxResultsPerUpdate = 32
)

// resultKind says what a worker delivered.
type resultKind uint8

const (
	resultSpan   resultKind = iota // the scrubber's span
	resultMoment                   // a whole grid (a seek)
	resultFrame                    // a playback frame: boxes flipped
	resultEnd                      // playback reached the end of the span
	resultError                    // a request failed
)

type timeResult struct {
	gen   uint64
	kind  resultKind
	span  timeline.Span
	grid  *protocol.Bitset
	seq   uint64
	at    time.Time
	boxes []uint32
	err   error
	// ends says which request this answers: a seek, or the span request
	// opening the past started (playing's own span request is neither).
	endsSeek, endsSpan bool
}

// timeMachine is the past the game shows, and the requests for it.
type timeMachine struct {
	src    *timeline.Source // nil: no history (the page gets no Time control)
	mode   timeline.Mode
	clock  timeline.Clock
	speed  int
	span   timeline.Span
	grid   protocol.Bitset // the past shown: the grid at seq
	seq    uint64
	shown  bool // grid holds a moment (before the first arrives, the live grid stays)
	played int  // playback frames shown (TimeStatus.Shown)
	err    error

	gen      uint64 // the current plan; bumped when it changes
	results  chan timeResult
	cancel   context.CancelFunc // the playing worker, nil if none
	seeking  bool               // a seek is in flight
	want     time.Time          // the moment to fetch next
	wantSet  bool
	spanning bool // an extent request is in flight
}

// pastSource is the past grid as the raster reads it.
type pastSource struct{ g *protocol.Bitset }

func (p pastSource) Displayed(i uint32) bool           { return p.g.Get(i) }
func (p pastSource) Bits() *protocol.Bitset            { return p.g }
func (p pastSource) AppendPending(d []uint32) []uint32 { return d }

// SetHistory gives the game the server's history API (base: http(s)://host).
func (g *Game) SetHistory(base string) {
	g.tm.src = &timeline.Source{Base: base, HTTP: fetch.New(historyTimeout)}
}

// past reports whether the screen shows the past (read-only).
func (t *timeMachine) past() bool { return t.mode != timeline.Live }

// playhead is the moment shown at now, inside the span once it is known.
func (t *timeMachine) playhead(now time.Duration) time.Time {
	at := t.clock.Now(now)
	if !t.span.End.IsZero() {
		at = t.span.Clamp(at)
	}
	return at
}

// open starts showing the past at at, paused (the live grid stays on
// screen until that moment's grid arrives).
func (g *Game) openPast(at time.Time, now time.Duration) {
	t := &g.tm
	if t.src == nil {
		return
	}
	if t.results == nil {
		t.results = make(chan timeResult, 64)
	}
	if !t.past() {
		t.mode, t.speed, t.err = timeline.Paused, timeline.DefaultSpeed, nil
		t.shown = false
	}
	g.seek(at, now)
	if !t.spanning {
		t.spanning = true
		gen, src, results := t.gen, t.src, t.results
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), historyTimeout)
			defer cancel()
			sp, err := src.Span(ctx)
			r := timeResult{gen: gen, kind: resultSpan, span: sp, endsSpan: true}
			if err != nil {
				r.kind, r.err = resultError, err
			}
			results <- r
		}()
	}
}

// seek shows the moment at, paused: a playing worker stops, and the moment
// is fetched as soon as no other fetch is in flight.
func (g *Game) seek(at time.Time, now time.Duration) {
	t := &g.tm
	g.stopPlay()
	t.mode = timeline.Paused
	t.clock = timeline.Clock{At: at, Real: now}
	t.want, t.wantSet = at, true
}

// stopPlay ends the playing worker, if any; its later results are dropped.
func (g *Game) stopPlay() {
	t := &g.tm
	if t.cancel != nil {
		t.cancel()
		t.cancel = nil
		t.gen++
	}
}

// goLive returns to the live grid.
func (g *Game) goLive() {
	t := &g.tm
	if !t.past() {
		return
	}
	g.stopPlay()
	t.gen++ // drop every result in flight
	t.mode, t.wantSet, t.seeking, t.spanning, t.shown = timeline.Live, false, false, false, false
	g.ras.Fill(g.board)
}

// togglePlay plays from the playhead, or pauses there.
func (g *Game) togglePlay(now time.Duration) {
	t := &g.tm
	switch t.mode {
	case timeline.Playing:
		at := t.playhead(now)
		g.stopPlay()
		t.mode, t.clock = timeline.Paused, timeline.Clock{At: at, Real: now}
	case timeline.Paused:
		at := t.playhead(now)
		if !t.span.End.IsZero() && !at.Before(t.span.End) {
			at = t.span.Start // at the end: play again from the start
			g.seek(at, now)
		}
		t.mode = timeline.Playing
		t.clock = timeline.Clock{At: at, Real: now, Speed: timeline.Speeds[t.speed].Factor, Running: true}
	}
}

// setSpeed changes the playback speed, keeping the playhead where it is.
func (g *Game) setSpeed(i int, now time.Duration) {
	t := &g.tm
	i = min(max(i, 0), len(timeline.Speeds)-1)
	if i == t.speed {
		return
	}
	t.speed = i
	if t.mode == timeline.Playing {
		at := t.playhead(now)
		g.stopPlay()
		t.clock = timeline.Clock{At: at, Real: now, Speed: timeline.Speeds[i].Factor, Running: true}
	}
}

// updateTime applies the workers' results and starts what is due: the
// next seek, or the playing worker once the moment it starts from is in.
func (g *Game) updateTime(now time.Duration) {
	t := &g.tm
	for range maxResultsPerUpdate {
		select {
		case r := <-t.results:
			g.applyTime(r, now)
			continue
		default:
		}
		break
	}
	if !t.past() {
		return // results of the past were drained and dropped (gen)
	}
	if t.wantSet && !t.seeking {
		g.fetchMoment(t.want)
	}
	if t.mode == timeline.Playing && t.cancel == nil && !t.seeking && !t.wantSet && t.shown {
		g.startPlay(now)
	}
}

func (g *Game) applyTime(r timeResult, now time.Duration) {
	t := &g.tm
	if r.endsSeek {
		t.seeking = false
	}
	if r.endsSpan {
		t.spanning = false
	}
	if r.gen != t.gen {
		return
	}
	switch r.kind {
	case resultSpan:
		t.span = r.span
	case resultMoment:
		t.grid, t.seq, t.shown = *r.grid, r.seq, true
		g.ras.Fill(pastSource{&t.grid})
	case resultFrame:
		for _, i := range r.boxes {
			t.grid.Flip(i)
		}
		t.seq = r.seq
		t.played++
		g.ras.Update(pastSource{&t.grid}, r.boxes, now)
	case resultEnd:
		t.seq = r.seq
		t.cancel = nil
		t.mode, t.clock = timeline.Paused, timeline.Clock{At: t.span.End, Real: now}
	case resultError:
		t.err = r.err
		g.stopPlay()
		t.mode, t.clock = timeline.Paused, timeline.Clock{At: t.playhead(now), Real: now}
	}
}

// fetchMoment fetches the grid at at on a goroutine.
func (g *Game) fetchMoment(at time.Time) {
	t := &g.tm
	t.wantSet, t.seeking = false, true
	gen, src, results := t.gen, t.src, t.results
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), historyTimeout)
		defer cancel()
		m, err := src.At(ctx, at)
		r := timeResult{gen: gen, kind: resultMoment, endsSeek: true}
		if err != nil {
			r.kind, r.err = resultError, err
		} else {
			r.grid, r.seq, r.at = &m.Grid, m.Seq, m.Time
		}
		results <- r
	}()
}

// startPlay carries the moment shown forward to the end of history on a
// goroutine, each frame handed over when the playhead reaches its time.
func (g *Game) startPlay(now time.Duration) {
	t := &g.tm
	ctx, cancel := context.WithCancel(context.Background())
	t.cancel = cancel
	gen, src, clock, start, results := t.gen, t.src, t.clock, g.start, t.results
	m := &timeline.Moment{Seq: t.seq, Grid: t.grid}
	every := timeline.Every(clock.Speed, playFPS)
	send := func(r timeResult) bool {
		select {
		case results <- r:
			return true
		case <-ctx.Done():
			return false
		}
	}
	go func() {
		sp, err := src.Span(ctx)
		if err != nil {
			send(timeResult{gen: gen, kind: resultError, err: err})
			return
		}
		if !send(timeResult{gen: gen, kind: resultSpan, span: sp}) {
			return
		}
		if m.Seq < sp.Last {
			err = src.Play(ctx, m, sp.Last, every, protocol.WholeGrid, func(m *timeline.Moment, boxes []uint32) error {
				if wait := clock.Due(m.Time) - time.Since(start); wait > 0 {
					tm := time.NewTimer(wait)
					select {
					case <-tm.C:
					case <-ctx.Done():
						tm.Stop()
						return ctx.Err()
					}
				}
				if !send(timeResult{gen: gen, kind: resultFrame, seq: m.Seq, at: m.Time, boxes: append([]uint32(nil), boxes...)}) {
					return ctx.Err()
				}
				return nil
			})
		}
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			send(timeResult{gen: gen, kind: resultError, err: err})
			return
		}
		// The rest of the span plays out on the clock before it ends.
		if wait := clock.Due(sp.End) - time.Since(start); wait > 0 {
			tm := time.NewTimer(wait)
			select {
			case <-tm.C:
			case <-ctx.Done():
				tm.Stop()
				return
			}
		}
		send(timeResult{gen: gen, kind: resultEnd, seq: m.Seq})
	}()
}

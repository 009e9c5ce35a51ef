package history

import (
	"fmt"
	"math/bits"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/store"
)

// Bounds of one playback answer (PROTOCOL.md, "Playback"). A point costs
// at most two keyframe intervals of replay (2 × 2 MiB) and one keyframe
// read, however far apart the points are.
const (
	// maxPlaybackFrames is the most points one answer covers: a minute of
	// playback at 10 frames a second is 600.
	maxPlaybackFrames = 600
	// maxPlaybackReplay is the record bytes one answer replays before it
	// stops at the next point (≈ 40 ms of work here).
	maxPlaybackReplay = 8 << 20
	// maxEvery bounds a time step: a year.
	maxEvery = 366 * 24 * time.Hour
)

// playbackQuery is a parsed /api/history/playback request.
type playbackQuery struct {
	from, to uint64
	step     uint64        // points every step seqs, or
	every    time.Duration // points every this much commit time
	area     protocol.Area
}

// key is the bucket a record falls in: its point is the bucket's last
// record. Buckets are (k−1)·step < seq ≤ k·step, or the same in Unix
// nanoseconds of commit time, so every request with the same step shares
// its points (and a CDN its answers).
func (q *playbackQuery) key(seq uint64, unixNano int64) uint64 {
	if q.step != 0 {
		return (seq + q.step - 1) / q.step
	}
	d := uint64(q.every)
	return (uint64(unixNano) + d - 1) / d
}

// parsePlayback reads ?from=A&to=B&step=N|every=D[&area=x,y,w,h].
func parsePlayback(q url.Values) (playbackQuery, error) {
	var p playbackQuery
	if err := only(q, "from", "to", "step", "every", "area"); err != nil {
		return p, err
	}
	var err error
	if p.from, err = seqParam(q, "from"); err != nil {
		return p, err
	}
	if p.to, err = seqParam(q, "to"); err != nil {
		return p, err
	}
	if p.from >= p.to {
		return p, fmt.Errorf("%w: from %d is not before to %d", ErrQuery, p.from, p.to)
	}
	_, hasStep := q["step"]
	_, hasEvery := q["every"]
	switch {
	case hasStep == hasEvery:
		return p, fmt.Errorf("%w: give step=N (seqs) or every=D (commit time, like 90s), one of them", ErrQuery)
	case hasStep:
		if p.step, err = seqParam(q, "step"); err == nil && p.step == 0 {
			err = fmt.Errorf("%w: step 0: want at least 1", ErrQuery)
		}
	default:
		var v string
		if v, err = single(q, "every"); err == nil {
			p.every, err = time.ParseDuration(v)
			if err != nil || p.every < time.Millisecond || p.every > maxEvery || p.every%time.Millisecond != 0 {
				err = fmt.Errorf("%w: every %q: want whole milliseconds from 1ms to %v, like 90s or 2m30s", ErrQuery, v, maxEvery)
			}
		}
	}
	if err != nil {
		return p, err
	}
	p.area = protocol.WholeGrid
	if _, ok := q["area"]; ok {
		v, err := single(q, "area")
		if err != nil {
			return p, err
		}
		if p.area, err = parseArea(v); err != nil {
			return p, err
		}
	}
	return p, nil
}

// parseArea reads x,y,w,h: a rectangle inside the grid, at least one box.
func parseArea(v string) (protocol.Area, error) {
	f := strings.Split(v, ",")
	var n [4]uint16
	if len(f) != 4 {
		return protocol.Area{}, fmt.Errorf("%w: area %q: want x,y,w,h", ErrQuery, v)
	}
	for i, s := range f {
		x, err := strconv.ParseUint(s, 10, 16)
		if err != nil || s == "" || s[0] == '+' {
			return protocol.Area{}, fmt.Errorf("%w: area %q: want x,y,w,h in boxes", ErrQuery, v)
		}
		n[i] = uint16(x)
	}
	a := protocol.Area{X: n[0], Y: n[1], W: n[2], H: n[3]}
	if a.Valid() != nil {
		return protocol.Area{}, fmt.Errorf("%w: area %q: not inside the 1000×1000 grid with at least one box", ErrQuery, v)
	}
	return a, nil
}

// playback is the state of one answer being built: the grid now, the grid
// at the last point, and the answer so far.
type playback struct {
	h        Source
	q        playbackQuery
	rep      protocol.Replica
	at       int64  // commit time of rep.Seq
	key      uint64 // bucket of rep.Seq
	point    protocol.Bitset
	prev     uint64 // seq of the last frame written (or from)
	last     uint64 // seq of the last point covered
	frames   int
	replayed int
	done     bool
	body     []byte
	idx      []uint32
}

// playbackAnswer computes the frames of q from its from until a bound,
// returning the body and the last point covered.
func playbackAnswer(h Source, q playbackQuery) ([]byte, uint64, error) {
	st, at, err := h.GridAt(q.from)
	if err != nil {
		return nil, 0, err
	}
	p := &playback{h: h, q: q, at: at, point: st.Grid, prev: q.from, last: q.from}
	p.rep.Reset(st.Epoch, st.Seq, &st.Grid)
	p.key = q.key(q.from, at)
	keys, err := h.Keyframes(q.to)
	if err != nil {
		return nil, 0, err
	}
	for p.rep.Seq < q.to && !p.done {
		// The keyframes after rep.Seq up to to: keys[i:j].
		i := sort.Search(len(keys), func(i int) bool { return keys[i] > p.rep.Seq })
		j := sort.Search(len(keys), func(i int) bool { return keys[i] > q.to })
		// The last of them still in rep.Seq's bucket (commit times never
		// decrease, so buckets follow keyframe order): no record before it
		// ends a bucket, so go there at once.
		var kerr error
		n := sort.Search(j-i, func(n int) bool {
			kf, err := h.Keyframe(keys[i+n])
			if err != nil && kerr == nil {
				kerr = err
			}
			return q.key(kf.Seq, kf.Time) != p.key
		})
		if kerr != nil {
			return nil, 0, kerr
		}
		if n > 0 {
			st, at, err := h.GridAt(keys[i+n-1])
			if err != nil {
				return nil, 0, err
			}
			p.rep.Reset(st.Epoch, st.Seq, &st.Grid)
			p.at = at
			continue
		}
		// Else replay to the next keyframe (or to): at most one interval.
		next := q.to
		if i < j {
			next = keys[i]
		}
		if err := p.walk(next); err != nil {
			return nil, 0, err
		}
	}
	if p.rep.Seq == q.to && p.last < q.to {
		if err := p.emit(); err != nil {
			return nil, 0, err
		}
	}
	return p.body, p.last, nil
}

// full says the answer has reached a bound; checked after each point, so
// an answer always ends at a point.
func (p *playback) full() bool {
	return p.frames >= maxPlaybackFrames || len(p.body) >= MaxPageBytes || p.replayed >= maxPlaybackReplay
}

// walk applies the records after rep.Seq up to upto, ending a point at
// each bucket's last record; it stops early after a point once the answer
// is full (done).
func (p *playback) walk(upto uint64) error {
	return p.h.Records(p.rep.Seq+1, upto, func(r store.Record) error {
		if k := p.q.key(r.Seq, r.Time); k != p.key {
			if p.rep.Seq > p.last {
				if err := p.emit(); err != nil {
					return err
				}
				if p.done = p.full(); p.done {
					return store.ErrStop
				}
			}
			p.key = k
		}
		if _, err := p.rep.Apply(r.Frame); err != nil {
			return fmt.Errorf("%w: record seq %d: %w", store.ErrCorrupt, r.Seq, err)
		}
		p.at = r.Time
		p.replayed += len(r.Frame)
		return nil
	})
}

// emit ends a point at rep.Seq: the boxes of the area that differ from
// the last point, as a frame if there are any.
func (p *playback) emit() error {
	p.idx = p.idx[:0]
	for w := range p.rep.Grid {
		for d := p.rep.Grid[w] ^ p.point[w]; d != 0; d &= d - 1 {
			if i := uint32(w*64 + bits.TrailingZeros64(d)); p.q.area.Contains(i) {
				p.idx = append(p.idx, i)
			}
		}
	}
	p.point = p.rep.Grid
	p.last = p.rep.Seq
	p.frames++
	if len(p.idx) == 0 {
		return nil
	}
	var err error
	p.body, err = protocol.AppendPlayback(p.body, p.at, p.rep.Seq, p.prev, p.idx)
	p.prev = p.rep.Seq
	return err
}

func (s *Handler) playback(w http.ResponseWriter, r *http.Request) {
	q, err := parsePlayback(r.URL.Query())
	if err != nil {
		s.fail(w, err)
		return
	}
	var body []byte
	var last uint64
	err = s.work(r, func() error {
		hd, err := s.h.Head()
		if err != nil {
			return err
		}
		if q.to > hd.Seq {
			return fmt.Errorf("%w: to %d is after the last seq %d", store.ErrNotKept, q.to, hd.Seq)
		}
		body, last, err = playbackAnswer(s.h, q)
		return err
	})
	if err != nil {
		s.fail(w, err)
		return
	}
	w.Header().Set("X-First-Seq", strconv.FormatUint(q.from, 10))
	w.Header().Set("X-Last-Seq", strconv.FormatUint(last, 10))
	if last < q.to {
		w.Header().Set("X-Next-From", strconv.FormatUint(last, 10))
	}
	serve(w, r, "application/octet-stream", body, true)
}

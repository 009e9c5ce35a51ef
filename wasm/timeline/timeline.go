package timeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"net/url"
	"strconv"
	"time"

	"checkgrid/protocol"
	"checkgrid/wasm/fetch"
)

// ErrHistory means the server's history answer was not what the protocol
// says: a bad status, frame or header.
var ErrHistory = errors.New("timeline: bad history answer")

// ErrRange means a range of seqs that runs backwards.
var ErrRange = errors.New("timeline: range runs backwards")

// maxAnswer bounds what one answer is read to: a Snapshot, or a playback
// page (at most 1 MiB of frames).
const maxAnswer = 2 << 20

// Source is a server's history API at Base (http(s)://host).
type Source struct {
	Base string
	HTTP fetch.Doer // fetch.New, or fetch.Client natively
}

// Extent is what history holds (the fields of /api/history the client uses).
type Extent struct {
	FirstSeq  uint64     `json:"first_seq"`
	FirstTime *time.Time `json:"first_time"`
	LastSeq   uint64     `json:"last_seq"`
	LastTime  *time.Time `json:"last_time"`
}

// Moment is the grid at a seq, committed at Time (zero if unknown).
type Moment struct {
	Seq  uint64
	Time time.Time
	Grid protocol.Bitset
}

func (s *Source) get(ctx context.Context, path string, q url.Values) ([]byte, fetch.Answer, error) {
	a, err := s.HTTP.Do(ctx, fetch.Request{Method: fetch.MethodGet, URL: s.Base + path + "?" + q.Encode(), Max: maxAnswer})
	switch {
	case err != nil:
		return nil, a, fmt.Errorf("timeline: %s: %w", path, err)
	case a.Status != fetch.StatusOK:
		return nil, a, fmt.Errorf("%w: %s: HTTP %d: %s", ErrHistory, path, a.Status, a.Body)
	case a.Over:
		return nil, a, fmt.Errorf("%w: %s: over %d bytes", ErrHistory, path, maxAnswer)
	}
	return a.Body, a, nil
}

// Extent reads /api/history.
func (s *Source) Extent(ctx context.Context) (Extent, error) {
	var ex Extent
	b, _, err := s.get(ctx, "/api/history", nil)
	if err == nil {
		if err = json.Unmarshal(b, &ex); err != nil {
			err = fmt.Errorf("%w: extent: %w", ErrHistory, err)
		}
	}
	return ex, err
}

// At returns the grid at t: the last seq committed at or before it.
func (s *Source) At(ctx context.Context, t time.Time) (*Moment, error) {
	b, h, err := s.get(ctx, "/api/history/snapshot", url.Values{"time": {t.UTC().Format(time.RFC3339Nano)}})
	if err != nil {
		return nil, err
	}
	snap, err := protocol.DecodeSnapshot(b)
	m := &Moment{Seq: snap.Seq}
	if err == nil {
		err = snap.Bits(&m.Grid)
	}
	if x := h.Get("X-Time"); err == nil && x != "" {
		m.Time, err = time.Parse(time.RFC3339Nano, x)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: grid at %v: %w", ErrHistory, t, err)
	}
	return m, nil
}

// Play carries m forward to seq to in steps of every (Every), inside area:
// it reads /api/history/playback page after page, applies each frame to
// m.Grid (whose boxes outside area are left as they were) and calls show
// after each, with the boxes that changed. It stops when m reaches to, on
// ctx's end, or at the first error (show's own, or a frame whose prev is
// not m's seq: a missed frame).
func (s *Source) Play(ctx context.Context, m *Moment, to uint64, every time.Duration, area protocol.Area, show func(m *Moment, boxes []uint32) error) error {
	return s.frames(ctx, m, to, "every", every.String(), area, show)
}

// Changed returns the boxes of area whose value differs between seqs from
// and to (from < to): the net change, one playback point (step=to, so the
// server jumps keyframes and replays at most two intervals), sorted. From
// equal to to has no change.
func (s *Source) Changed(ctx context.Context, from, to uint64, area protocol.Area) ([]uint32, error) {
	if from > to {
		return nil, fmt.Errorf("%w: %d after %d", ErrRange, from, to)
	}
	m := &Moment{Seq: from} // an empty grid: what flips in it is the change
	err := s.frames(ctx, m, to, "step", strconv.FormatUint(to, 10), area, func(*Moment, []uint32) error { return nil })
	if err != nil {
		return nil, err
	}
	var out []uint32
	for w, word := range m.Grid {
		for ; word != 0; word &= word - 1 {
			out = append(out, uint32(w*64+bits.TrailingZeros64(word)))
		}
	}
	return out, nil
}

// frames is Play with the sampling parameter named: every=D or step=N.
func (s *Source) frames(ctx context.Context, m *Moment, to uint64, sample, value string, area protocol.Area, show func(m *Moment, boxes []uint32) error) error {
	var idx []uint32
	for m.Seq < to {
		start := m.Seq
		q := url.Values{"from": {strconv.FormatUint(m.Seq, 10)}, "to": {strconv.FormatUint(to, 10)}, sample: {value}}
		if !area.Whole() {
			q.Set("area", fmt.Sprintf("%d,%d,%d,%d", area.X, area.Y, area.W, area.H))
		}
		b, h, err := s.get(ctx, "/api/history/playback", q)
		if err != nil {
			return err
		}
		for len(b) > 0 {
			f, rest, err := protocol.NextPlayback(b)
			if err == nil {
				idx, err = f.Delta.AppendIndexes(idx[:0])
			}
			if err == nil && f.Delta.Prev != m.Seq {
				err = fmt.Errorf("frame of seq %d follows %d, the grid is at %d", f.Delta.Seq, f.Delta.Prev, m.Seq)
			}
			if err != nil {
				return fmt.Errorf("%w: playback: %w", ErrHistory, err)
			}
			for _, i := range idx {
				m.Grid.Flip(i)
			}
			m.Seq, b = f.Delta.Seq, rest
			if f.Time != 0 {
				m.Time = time.Unix(0, f.Time).UTC()
			}
			if err := show(m, idx); err != nil {
				return err
			}
		}
		last, err := strconv.ParseUint(h.Get("X-Last-Seq"), 10, 64)
		if err != nil || last < m.Seq || last > to || last == start {
			return fmt.Errorf("%w: playback from %d: X-Last-Seq %q with the grid at %d", ErrHistory, start, h.Get("X-Last-Seq"), m.Seq)
		}
		m.Seq = last // points with no change in the area had no frame
	}
	return nil
}

// steps is the ladder of playback time steps: a speed is rounded down to
// one of these, so every player at the same speed asks for the same points
// (and a cache answers them).
var steps = []time.Duration{
	time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 30 * time.Minute, time.Hour,
}

// Every returns the time step of playback frames for speed (history time
// per real second; a day a minute is 1440) at fps frames a second: the
// largest step of the ladder not above speed/fps, at least a second.
func Every(speed float64, fps int) time.Duration {
	want := time.Duration(speed / float64(max(fps, 1)) * float64(time.Second))
	e := steps[0]
	for _, s := range steps {
		if s <= want {
			e = s
		}
	}
	return e
}

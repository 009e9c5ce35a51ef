package timeline

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Mode is what the time machine shows.
type Mode uint8

const (
	// Live is the live grid: the time machine is closed.
	Live Mode = iota
	// Paused is one moment of the past, still.
	Paused
	// Playing is the past moving forward at a speed.
	Playing
)

func (m Mode) String() string {
	switch m {
	case Live:
		return "live"
	case Paused:
		return "paused"
	case Playing:
		return "playing"
	}
	return fmt.Sprintf("Mode(%d)", uint8(m))
}

// Speed is a playback speed: history time per real second.
type Speed struct {
	Factor float64
	Label  string
}

// Speeds are the playback speeds offered, from real time to a day a
// minute (the range); the page's speed menu lists the same.
var Speeds = []Speed{
	{1, "real time"},
	{10, "10×"},
	{60, "1 min/s"},
	{360, "6 min/s"},
	{1440, "1 day/min"},
}

// DefaultSpeed is the index of the speed a player starts with: a day a
// minute, since most of history is long and quiet.
const DefaultSpeed = 4

// Clock is the playhead: at real time Real it shows history time At, and
// while Running it moves on at Speed history seconds per real second.
type Clock struct {
	At      time.Time
	Real    time.Duration
	Speed   float64
	Running bool
}

// Now is the playhead at real time real.
func (c Clock) Now(real time.Duration) time.Time {
	if !c.Running || real <= c.Real {
		return c.At
	}
	return c.At.Add(time.Duration(float64(real-c.Real) * c.Speed))
}

// Due is the real time at which the playhead reaches t (Real if it has
// already, or if the clock is stopped).
func (c Clock) Due(t time.Time) time.Duration {
	if !c.Running || !t.After(c.At) || c.Speed <= 0 {
		return c.Real
	}
	return c.Real + time.Duration(float64(t.Sub(c.At))/c.Speed)
}

// entryHeader is the fixed part of a deltas entry: time, toggles, length.
const entryHeader = 20

// Span is the part of history the scrubber covers: seqs First … Last,
// committed from Start to End.
type Span struct {
	First, Last uint64
	Start, End  time.Time
}

// Empty reports whether the span holds no record to move through.
func (s Span) Empty() bool { return s.Last <= s.First || !s.End.After(s.Start) }

// Clamp is t inside the span.
func (s Span) Clamp(t time.Time) time.Time {
	if t.Before(s.Start) {
		return s.Start
	}
	if t.After(s.End) {
		return s.End
	}
	return t
}

// Span reads the extent and the times at its ends. History that starts at
// the empty grid (seq 0) has no commit time there: the span then starts at
// the first record's time (one entry of /api/history/deltas).
func (s *Source) Span(ctx context.Context) (Span, error) {
	ex, err := s.Extent(ctx)
	if err != nil {
		return Span{}, err
	}
	sp := Span{First: ex.FirstSeq, Last: ex.LastSeq}
	if ex.LastTime != nil {
		sp.End = *ex.LastTime
	}
	switch {
	case ex.FirstTime != nil:
		sp.Start = *ex.FirstTime
	case ex.LastSeq > ex.FirstSeq:
		if sp.Start, err = s.TimeOf(ctx, ex.FirstSeq+1); err != nil {
			return Span{}, err
		}
	}
	if sp.Start.IsZero() {
		sp.Start = sp.End
	}
	return sp, nil
}

// TimeOf is the commit time of record seq (≥ 1; zero if unknown): one
// entry of /api/history/deltas, a few dozen bytes.
func (s *Source) TimeOf(ctx context.Context, seq uint64) (time.Time, error) {
	n := strconv.FormatUint(seq, 10)
	b, _, err := s.get(ctx, "/api/history/deltas", url.Values{"from": {n}, "to": {n}})
	if err != nil {
		return time.Time{}, err
	}
	// An entry starts with its commit time (PROTOCOL.md, Entry).
	if len(b) < entryHeader {
		return time.Time{}, fmt.Errorf("%w: record %d: %d bytes", ErrHistory, seq, len(b))
	}
	if ns := int64(binary.LittleEndian.Uint64(b)); ns > 0 {
		return time.Unix(0, ns).UTC(), nil
	}
	return time.Time{}, nil
}

// Base is the history API's origin for the game's WebSocket URL
// (ws://host/ws → http://host, wss → https): the desktop fetches history
// from the server it plays on; the browser's URL is its page's origin,
// which is the same.
func Base(wsURL string) (string, error) {
	u, err := url.Parse(wsURL)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("timeline: server %q: not a ws:// or wss:// URL", wsURL)
	}
	switch strings.ToLower(u.Scheme) {
	case "ws":
		return "http://" + u.Host, nil
	case "wss":
		return "https://" + u.Host, nil
	}
	return "", fmt.Errorf("timeline: server %q: not a ws:// or wss:// URL", wsURL)
}

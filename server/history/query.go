package history

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// ErrQuery means a history request's query is malformed: answered 400 with
// the reason.
var ErrQuery = errors.New("bad query")

// maxSeqDigits bounds a seq parameter: 2^64-1 has 20 digits.
const maxSeqDigits = 20

// point is a moment of history a request names: a seq, or a time (the
// last seq committed at or before it).
type point struct {
	seq    uint64
	time   time.Time
	byTime bool
}

// parsePoint reads ?seq=N or ?time=RFC3339 (exactly one, nothing else).
func parsePoint(q url.Values) (point, error) {
	if err := only(q, "seq", "time"); err != nil {
		return point{}, err
	}
	_, hasSeq := q["seq"]
	_, hasTime := q["time"]
	switch {
	case hasSeq && hasTime:
		return point{}, fmt.Errorf("%w: give seq or time, not both", ErrQuery)
	case hasSeq:
		s, err := seqParam(q, "seq")
		return point{seq: s}, err
	case hasTime:
		v, err := single(q, "time")
		if err != nil {
			return point{}, err
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return point{}, fmt.Errorf("%w: time %q: want RFC 3339, like 2025-01-02T15:04:05Z", ErrQuery, v)
		}
		if t.Year() < 1970 || t.Year() > 2261 {
			return point{}, fmt.Errorf("%w: time %q outside 1970..2261", ErrQuery, v)
		}
		return point{time: t, byTime: true}, nil
	}
	return point{}, fmt.Errorf("%w: give seq=N or time=RFC3339", ErrQuery)
}

// parseRange reads ?from=A&to=B (seqs, A ≤ B, A ≥ 1).
func parseRange(q url.Values) (from, to uint64, err error) {
	if err := only(q, "from", "to"); err != nil {
		return 0, 0, err
	}
	if from, err = seqParam(q, "from"); err != nil {
		return 0, 0, err
	}
	if to, err = seqParam(q, "to"); err != nil {
		return 0, 0, err
	}
	if from == 0 {
		return 0, 0, fmt.Errorf("%w: from 0: records start at seq 1", ErrQuery)
	}
	if from > to {
		return 0, 0, fmt.Errorf("%w: from %d is after to %d", ErrQuery, from, to)
	}
	return from, to, nil
}

// only refuses parameters other than names, so a typo is an error rather
// than a silently different answer.
func only(q url.Values, names ...string) error {
	for k := range q {
		ok := false
		for _, n := range names {
			ok = ok || k == n
		}
		if !ok {
			return fmt.Errorf("%w: unknown parameter %q (this request takes %v)", ErrQuery, k, names)
		}
	}
	return nil
}

func single(q url.Values, name string) (string, error) {
	v, ok := q[name]
	switch {
	case !ok:
		return "", fmt.Errorf("%w: %s is missing", ErrQuery, name)
	case len(v) != 1:
		return "", fmt.Errorf("%w: %s given %d times", ErrQuery, name, len(v))
	}
	return v[0], nil
}

// seqParam reads a decimal seq: digits only (no sign, no spaces).
func seqParam(q url.Values, name string) (uint64, error) {
	v, err := single(q, name)
	if err != nil {
		return 0, err
	}
	if len(v) == 0 || len(v) > maxSeqDigits {
		return 0, fmt.Errorf("%w: %s %q: want a decimal seq", ErrQuery, name, v)
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%w: %s %q: want a decimal seq", ErrQuery, name, v)
		}
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %s %q: %v", ErrQuery, name, v, errors.Unwrap(err))
	}
	return n, nil
}

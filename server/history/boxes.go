package history

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/store"
)

// The box index (/api/history/box, issue 21: "the hover label says when a
// box last changed and how often"): per box, the seq of its last change
// and how many changes it had, over the kept history.
//
// Why an index and not a scan per request: "how often" is a count over
// all of history, which no bounded scan answers, and "when last" may lie
// anywhere back. The index is 16 bytes a box (16 MB for the grid), built
// on first use by replaying the kept records from the first keyframe, and
// brought up to the head by each request after that (a few records). The
// replay is done in steps of boxStepBytes of Delta frames, one per request
// (a hovering client asks again after Retry-After), so no request holds a
// history turn for long and a server whose players never hover pays
// nothing. It is in memory only: a restart rebuilds it (at about
// BenchmarkBoxIndexBuild's rate). It works over any Source, so a cluster
// node builds its own from the stream, and every node answers the same.

// Box index tuning.
const (
	// boxStepBytes bounds the Delta frames one request replays into the
	// index while it is being built: 8 MiB is about 5 million changes at
	// 1.7 B each, ~0.3 s of one core here (BenchmarkBoxIndexBuild: 65 ns a
	// change, most of it the cache miss on the box's entry), so a build
	// never holds one of the two history turns for long. A day at 2,000
	// toggles/s (173M changes, ~290 MB) is ~36 steps, ~11 s of CPU.
	boxStepBytes = 8 << 20
)

// ErrIndexing means the box index is still being built: answered 503 with
// Retry-After and how far it got.
var ErrIndexing = errors.New("history: the box index is still being built")

// BoxInfo is the /api/history/box answer.
type BoxInfo struct {
	Box   uint32 `json:"box"`
	Seq   uint64 `json:"seq"`   // the answer is the history up to this seq
	Since uint64 `json:"since"` // changes are counted after this seq (the first keyframe the index started from)
	// Changes is how many records from since+1 to seq flipped the box.
	Changes uint32 `json:"changes"`
	// LastSeq is the last record that flipped it (0: none since since).
	LastSeq uint64 `json:"last_seq"`
	// LastTime is the commit time of LastSeq to the second, rounded down
	// (null if none or unknown).
	LastTime *time.Time `json:"last_time"`
}

// boxIndex is the per-box index, built and followed on demand. Safe for
// concurrent use.
type boxIndex struct {
	mu    sync.Mutex
	built bool   // since is set and boxes is allocated
	since uint64 // the keyframe the replay started from
	seq   uint64 // the last record replayed
	boxes []boxEntry
	idx   []uint32 // scratch for a Delta's boxes
}

// boxEntry is one box's: 16 bytes, so a change touches one cache line
// (the changes of a tick land on random boxes of a 16 MB array; a first
// layout of two arrays, seq and count, ran at 294 ns a change against 65
// for this one, in runs minutes apart).
type boxEntry struct {
	last  uint64 // seq of the last change (0: none)
	at    uint32 // its commit time, Unix seconds (0: unknown); fits until 2106
	count uint32 // changes since the index's since
}

// catchUp replays the records after the index's seq up to the head, at
// most budget bytes of frames; done says it reached the head it read.
func (x *boxIndex) catchUp(src Source, budget int) (done bool, err error) {
	hd, err := src.Head()
	if err != nil {
		return false, err
	}
	if x.built && x.seq < hd.First {
		// History dropped records the index has not read (bounded
		// history outran it): start again from the new first keyframe.
		x.built = false
	}
	if !x.built {
		if x.boxes == nil {
			x.boxes = make([]boxEntry, protocol.Boxes)
		} else {
			clear(x.boxes)
		}
		x.since, x.seq, x.built = hd.First, hd.First, true
	}
	if x.seq >= hd.Seq {
		return true, nil
	}
	replayed := 0
	err = src.Records(x.seq+1, hd.Seq, func(r store.Record) error {
		d, err := protocol.DecodeDelta(r.Frame)
		if err != nil {
			return fmt.Errorf("%w: record %d: %w", store.ErrCorrupt, r.Seq, err)
		}
		if x.idx, err = d.AppendIndexes(x.idx[:0]); err != nil {
			return fmt.Errorf("%w: record %d: %w", store.ErrCorrupt, r.Seq, err)
		}
		at := uint32(max(0, min(r.Time/1e9, math.MaxUint32)))
		for _, i := range x.idx {
			e := &x.boxes[i]
			e.last, e.at = r.Seq, at
			e.count++
		}
		x.seq = r.Seq
		if replayed += len(r.Frame); replayed >= budget {
			return store.ErrStop
		}
		return nil
	})
	return x.seq >= hd.Seq, err
}

// lookup brings the index up to the head (one step of at most budget
// bytes) and returns what it knows of box i. ErrIndexing if the step did
// not reach the head.
func (x *boxIndex) lookup(src Source, i uint32, budget int) (BoxInfo, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	done, err := x.catchUp(src, budget)
	if err != nil {
		return BoxInfo{}, err
	}
	if !done {
		hd, _ := src.Head()
		return BoxInfo{}, fmt.Errorf("%w: at seq %d of %d (from %d)", ErrIndexing, x.seq, hd.Seq, x.since)
	}
	e := x.boxes[i]
	info := BoxInfo{Box: i, Seq: x.seq, Since: x.since, Changes: e.count, LastSeq: e.last}
	if e.at != 0 {
		t := time.Unix(int64(e.at), 0).UTC()
		info.LastTime = &t
	}
	return info, nil
}

// parseBox reads ?box=N (a box index, 0 … 999,999; nothing else).
func parseBox(q url.Values) (uint32, error) {
	if err := only(q, "box"); err != nil {
		return 0, err
	}
	v, err := single(q, "box")
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil || len(v) == 0 || v[0] < '0' || v[0] > '9' || n >= protocol.Boxes {
		return 0, fmt.Errorf("%w: box %q: want a box index 0..%d", ErrQuery, v, protocol.Boxes-1)
	}
	return uint32(n), nil
}

func (s *Handler) box(w http.ResponseWriter, r *http.Request) {
	i, err := parseBox(r.URL.Query())
	if err != nil {
		s.fail(w, err)
		return
	}
	var info BoxInfo
	err = s.work(r, func() error {
		info, err = s.boxes.lookup(s.h, i, boxStepBytes)
		return err
	})
	if err != nil {
		s.fail(w, err)
		return
	}
	body, err := json.Marshal(info)
	if err != nil {
		s.fail(w, err)
		return
	}
	serve(w, r, "application/json", append(body, '\n'), false)
}

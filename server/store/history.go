package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"checkgrid/protocol"
)

// ErrNotKept means a seq or time lies outside the kept history: before its
// first keyframe (dropped, or before the directory kept history) or after
// its last record.
var ErrNotKept = errors.New("store: not in the kept history")

// Record is one record of history as a reader sees it. Frame aliases the
// reader's buffer and is valid only during the visit.
type Record struct {
	Seq     uint64
	Toggles uint64
	Time    int64 // commit time, unix ns; 0 if unknown (a version-1 record)
	Frame   []byte
}

// Keyframe is a kept checkpoint's header: the grid at Seq is there.
type Keyframe struct {
	Epoch, Seq, Toggles uint64
	Time                int64 // unix ns of record Seq; 0 if unknown
	Chain               Chain
	Chained             bool // false for a version-1 checkpoint (no chain)
}

// History reads the kept history of a data directory: keyframes and log
// segments, never changing them, while a Store may be appending (it reads
// only up to the Head). Safe for concurrent use.
type History struct {
	dir  string
	live func() Head // a Store's Head; nil for a directory no server holds

	mu    sync.Mutex
	asOf  uint64   // the head seq when the listing was taken
	keys  []uint64 // keyframe seqs, ascending
	segs  []uint64 // segment first seqs, ascending
	head  *Head    // an unopened directory's, found once
	infos map[uint64]Keyframe
}

// NewHistory reads dir's history up to the Head that head returns at each
// call (a Store's Head, for a live server).
func NewHistory(dir string, head func() Head) *History {
	return &History{dir: dir, live: head, infos: map[uint64]Keyframe{}}
}

// OpenHistory reads a data directory that no server changes meanwhile
// (stopped, or a copy). Its head is the log's last complete record; a torn
// tail is left alone, not cut.
func OpenHistory(dir string) *History {
	return &History{dir: dir, infos: map[uint64]Keyframe{}}
}

// Head returns the head history is read up to.
func (h *History) Head() (Head, error) {
	if h.live != nil {
		return h.live(), nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.head != nil {
		return *h.head, nil
	}
	keys, segs, err := h.relist(^uint64(0))
	if err != nil {
		return Head{}, err
	}
	if len(keys) == 0 {
		return Head{}, fmt.Errorf("%w: no keyframe in %s", ErrNotKept, h.dir)
	}
	kf, err := h.keyframeLocked(keys[len(keys)-1])
	if err != nil {
		return Head{}, err
	}
	hd := Head{Epoch: kf.Epoch, Seq: kf.Seq, Toggles: kf.Toggles, Time: kf.Time, Chain: kf.Chain, First: keys[0]}
	var ch chainer
	err = walkSegments(h.dir, segs, kf.Seq+1, ^uint64(0), func(r record) error {
		hd.Seq, hd.Toggles, hd.Time = r.seq, r.toggles, r.time
		hd.Chain = ch.next(hd.Chain, kf.Epoch, r.seq, r.time, r.toggles, r.deltaFrame())
		return nil
	})
	if err != nil {
		return Head{}, err
	}
	h.head = &hd
	return hd, nil
}

// list returns the keyframes and segments, listing the directory again if
// seq is past what the last listing saw (a live history grows).
func (h *History) list(seq uint64) (keys, segs []uint64, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.keys != nil && seq <= h.asOf {
		return h.keys, h.segs, nil
	}
	asOf := ^uint64(0)
	if h.live != nil {
		asOf = h.live().Seq // before listing: every file up to it is listed
	}
	return h.relist(asOf)
}

// relist lists the directory; h.mu is held.
func (h *History) relist(asOf uint64) (keys, segs []uint64, err error) {
	entries, err := os.ReadDir(h.dir)
	if err != nil {
		return nil, nil, fmt.Errorf("store: read data directory: %w", err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	h.keys = listSeqFiles(names, checkpointPrefix, checkpointSuffix)
	h.segs = listSeqFiles(names, segmentPrefix, segmentSuffix)
	h.asOf = asOf
	return h.keys, h.segs, nil
}

// forget drops the listing, after a file in it was gone (history dropped
// to keep within its bounds).
func (h *History) forget() {
	h.mu.Lock()
	h.keys, h.segs = nil, nil
	h.mu.Unlock()
}

// Keyframes returns the kept keyframes' seqs, ascending, as of seq upto.
func (h *History) Keyframes(upto uint64) ([]uint64, error) {
	keys, _, err := h.list(upto)
	return keys, err
}

// Keyframe returns the header of the keyframe at seq, read once and then
// remembered (keyframes never change). Only the header is read, and its
// checksum (which covers the grid too) is not checked here: GridAt and
// Verify check whole files.
func (h *History) Keyframe(seq uint64) (Keyframe, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.keyframeLocked(seq)
}

func (h *History) keyframeLocked(seq uint64) (Keyframe, error) {
	if kf, ok := h.infos[seq]; ok {
		return kf, nil
	}
	name := checkpointName(seq)
	f, err := os.Open(filepath.Join(h.dir, name))
	if err != nil {
		return Keyframe{}, fmt.Errorf("store: open keyframe: %w", err)
	}
	defer f.Close()
	var b [checkpointHeader]byte
	n, err := io.ReadFull(f, b[:])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return Keyframe{}, fmt.Errorf("store: read keyframe %s: %w", name, err)
	}
	k, err := parseKeyframeHeader(name, b[:n])
	if err != nil {
		return Keyframe{}, err
	}
	h.infos[seq] = k
	return k, nil
}

// parseKeyframeHeader decodes a checkpoint's header fields (either version).
func parseKeyframeHeader(name string, b []byte) (Keyframe, error) {
	le := binary.LittleEndian
	if len(b) < checkpointHeaderV1 || string(b[:8]) != checkpointMagic {
		return Keyframe{}, corrupt(name, 0, "not a checkpoint header")
	}
	k := Keyframe{Epoch: le.Uint64(b[12:]), Seq: le.Uint64(b[20:]), Toggles: le.Uint64(b[28:])}
	switch v := le.Uint16(b[8:]); {
	case v == 1:
	case v == checkpointVersion && len(b) >= checkpointHeader:
		k.Time = int64(le.Uint64(b[36:]))
		copy(k.Chain[:], b[44:76])
		k.Chained = true
	default:
		return Keyframe{}, fmt.Errorf("%w: %s has version %d", ErrVersion, name, v)
	}
	return k, nil
}

// GridAt returns the state at seq, with the commit time of record seq (the
// keyframe's if seq is one): the newest keyframe at or before seq, plus the
// records after it. Outside the kept history it returns ErrNotKept.
func (h *History) GridAt(seq uint64) (*State, int64, error) {
	st, at, err := h.gridAt(seq)
	if errors.Is(err, os.ErrNotExist) {
		h.forget() // dropped meanwhile: list again, once
		st, at, err = h.gridAt(seq)
	}
	return st, at, err
}

func (h *History) gridAt(seq uint64) (*State, int64, error) {
	hd, err := h.Head()
	if err != nil {
		return nil, 0, err
	}
	keys, segs, err := h.list(seq)
	if err != nil {
		return nil, 0, err
	}
	if seq > hd.Seq || len(keys) == 0 || seq < keys[0] {
		return nil, 0, fmt.Errorf("%w: seq %d (history holds %d..%d)", ErrNotKept, seq, first(keys), hd.Seq)
	}
	k := keys[sort.Search(len(keys), func(i int) bool { return keys[i] > seq })-1]
	var kf keyframe
	if err := readCheckpoint(filepath.Join(h.dir, checkpointName(k)), &kf); err != nil {
		return nil, 0, err
	}
	st, at := &kf.State, kf.time
	if seq == k {
		return st, at, nil
	}
	var g growingGrid
	g.reset(st)
	err = walkSegments(h.dir, segs, k+1, seq, func(r record) error {
		if err := g.apply(r); err != nil {
			return err
		}
		at = r.time
		return nil
	})
	if err == nil && g.rep.Seq != seq {
		err = fmt.Errorf("%w: the log ends at seq %d, before %d", ErrCorrupt, g.rep.Seq, seq)
	}
	if err != nil {
		return nil, 0, err
	}
	st.Grid, st.Seq, st.Toggles = g.rep.Grid, g.rep.Seq, g.toggles
	return st, at, nil
}

// Records visits the records from seq from to seq to (inclusive) in order,
// stopping early if visit returns ErrStop (not an error to the caller).
func (h *History) Records(from, to uint64, visit func(Record) error) error {
	err := h.records(from, to, visit)
	if errors.Is(err, os.ErrNotExist) {
		h.forget()
		err = h.records(from, to, visit)
	}
	if errors.Is(err, ErrStop) {
		return nil
	}
	return err
}

// ErrStop ends a Records visit early.
var ErrStop = errors.New("store: stop")

func (h *History) records(from, to uint64, visit func(Record) error) error {
	hd, err := h.Head()
	if err != nil {
		return err
	}
	keys, segs, err := h.list(to)
	if err != nil {
		return err
	}
	if from == 0 || from > to || to > hd.Seq || len(keys) == 0 || from <= keys[0] {
		return fmt.Errorf("%w: records %d..%d (history holds records %d..%d)", ErrNotKept, from, to, first(keys)+1, hd.Seq)
	}
	return walkSegments(h.dir, segs, from, to, func(r record) error {
		return visit(Record{Seq: r.seq, Toggles: r.toggles, Time: r.time, Frame: r.deltaFrame()})
	})
}

func first(keys []uint64) uint64 {
	if len(keys) == 0 {
		return 0
	}
	return keys[0]
}

// walkSegments visits, in order, the records from seq from to seq to of
// segs (the directory's segments), starting at the segment that holds from
// and reading nothing after record to: a live segment may hold a partial
// record past it. Every record is checked as in recovery; a seq gap is
// corruption. It ends with ErrStop from visit, or at the log's end.
func walkSegments(dir string, segs []uint64, from, to uint64, visit func(record) error) error {
	start := sort.Search(len(segs), func(i int) bool { return segs[i] > from }) - 1
	if start < 0 {
		return fmt.Errorf("%w: no log segment holds seq %d", ErrNotKept, from)
	}
	expect := segs[start]
	for i := start; i < len(segs); i++ {
		name := segmentName(segs[i])
		if segs[i] != expect {
			return corrupt(name, 0, "segment starts at seq %d, previous segment ended at seq %d", segs[i], expect-1)
		}
		// Only a read to the end of an unopened directory meets its tail,
		// which may be torn (and is left alone).
		final := i == len(segs)-1 && to == ^uint64(0)
		res, err := scanSegment(filepath.Join(dir, name), final, from, func(off int64, r record) error {
			if r.seq != expect {
				return corrupt(name, off, "record seq %d, want %d", r.seq, expect)
			}
			expect++
			if r.seq < from {
				return nil
			}
			if err := visit(r); err != nil {
				return err
			}
			if r.seq == to {
				return errStop
			}
			return nil
		})
		if errors.Is(err, errStop) {
			return nil
		}
		var ce *CorruptError
		if errors.As(err, &ce) {
			ce.Reason = fmt.Sprintf("%s (the record expected there is seq %d)", ce.Reason, expect)
		}
		if err != nil || res.torn != "" {
			return err
		}
	}
	return nil
}

// growingGrid is a keyframe's state carried forward by records.
type growingGrid struct {
	rep     protocol.Replica
	toggles uint64
}

func (g *growingGrid) reset(st *State) {
	g.rep.Reset(st.Epoch, st.Seq, &st.Grid)
	g.toggles = st.Toggles
}

func (g *growingGrid) apply(r record) error {
	if r.boxes != nil {
		// A run-coded record: its boxes, without rebuilding the frame.
		for _, x := range r.boxes {
			g.rep.Grid.Flip(x)
		}
		g.rep.Seq = r.seq
		g.toggles = r.toggles
		return nil
	}
	if _, err := g.rep.Apply(r.frame); err != nil {
		return fmt.Errorf("%w: record seq %d: delta: %w", ErrCorrupt, r.seq, err)
	}
	g.toggles = r.toggles
	return nil
}

// KeyframeAt returns the seq of the last of keys (keyframe seqs, in order)
// whose keyframe, read with keyframe, was committed at or before unixNano:
// the one history search by time starts from, on disk (History) and in a
// cluster (history.Stream). A time before the first is ErrNotKept.
func KeyframeAt(keys []uint64, keyframe func(uint64) (Keyframe, error), unixNano int64) (uint64, error) {
	if len(keys) == 0 {
		return 0, fmt.Errorf("%w: no keyframe", ErrNotKept)
	}
	var searchErr error
	i := sort.Search(len(keys), func(i int) bool {
		kf, err := keyframe(keys[i])
		if err != nil && searchErr == nil {
			searchErr = err
		}
		return kf.Time > unixNano
	})
	if searchErr != nil {
		return 0, searchErr
	}
	if i == 0 {
		return 0, fmt.Errorf("%w: time %d is before the first kept seq %d", ErrNotKept, unixNano, keys[0])
	}
	return keys[i-1], nil
}

// SeqAt returns the last seq committed at or before unixNano (the grid at
// that time), searching keyframes by time and then the records after the
// one found. Records of unknown time (version 1) count as older than any
// time. A time before the first kept seq's is ErrNotKept.
func (h *History) SeqAt(unixNano int64) (uint64, error) {
	hd, err := h.Head()
	if err != nil {
		return 0, err
	}
	keys, segs, err := h.list(hd.Seq)
	if err != nil {
		return 0, err
	}
	seq, err := KeyframeAt(keys, h.Keyframe, unixNano)
	if err != nil {
		return 0, err
	}
	if seq >= hd.Seq {
		return seq, nil
	}
	err = walkSegments(h.dir, segs, seq+1, hd.Seq, func(r record) error {
		if r.time > unixNano {
			return errStop
		}
		seq = r.seq
		return nil
	})
	if errors.Is(err, errStop) {
		err = nil
	}
	return seq, err
}

// ChainAt returns the hash chain at seq: the newest keyframe at or before
// seq, stepped through the records after it. chained is false where the
// chain does not reach (a version-1 keyframe, before history was kept).
func (h *History) ChainAt(seq uint64) (c Chain, chained bool, err error) {
	c, chained, err = h.chainAt(seq)
	if errors.Is(err, os.ErrNotExist) {
		h.forget()
		c, chained, err = h.chainAt(seq)
	}
	return c, chained, err
}

func (h *History) chainAt(seq uint64) (Chain, bool, error) {
	hd, err := h.Head()
	if err != nil {
		return Chain{}, false, err
	}
	keys, segs, err := h.list(seq)
	if err != nil {
		return Chain{}, false, err
	}
	if seq > hd.Seq || len(keys) == 0 || seq < keys[0] {
		return Chain{}, false, fmt.Errorf("%w: seq %d (history holds %d..%d)", ErrNotKept, seq, first(keys), hd.Seq)
	}
	kf, err := h.Keyframe(keys[sort.Search(len(keys), func(i int) bool { return keys[i] > seq })-1])
	if err != nil || !kf.Chained {
		return Chain{}, false, err
	}
	c := kf.Chain
	if seq == kf.Seq {
		return c, true, nil
	}
	var ch chainer
	at := kf.Seq
	err = walkSegments(h.dir, segs, kf.Seq+1, seq, func(r record) error {
		c, at = ch.next(c, kf.Epoch, r.seq, r.time, r.toggles, r.deltaFrame()), r.seq
		return nil
	})
	if err == nil && at != seq {
		err = fmt.Errorf("%w: the log ends at seq %d, before %d", ErrCorrupt, at, seq)
	}
	return c, true, err
}

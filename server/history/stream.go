package history

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/pause"
	"checkgrid/server/store"
)

// Cluster-mode history (Stream): the stream of record is the log, the
// keyframe bucket holds the grid at chosen seqs. Bounds of the work.
const (
	// streamKeyframeBytes: a keyframe after this many bytes of Delta frames
	// since the previous one, as the single process's CheckpointBytes, so
	// the grid at any seq is one keyframe plus at most this much replay.
	streamKeyframeBytes = store.DefaultCheckpointBytes
	// streamReadTimeout bounds one read of the log for a request;
	// streamAttemptTimeout one attempt at it (a read of 2 MiB takes well
	// under a second; a stalled consumer is given up after this and the
	// read goes on where it was).
	streamReadTimeout    = 10 * time.Second
	streamAttemptTimeout = 2 * time.Second
	// streamRetry: how soon Run follows the log again after it failed.
	streamRetry = time.Second
	// keyframeCache: decoded keyframes a node keeps (≤ 125 KB each), so
	// requests near one another in history read the bucket once.
	keyframeCache = 8
	// anchorCache: clamped commit times remembered at the seq where a
	// Records read ended, so the next page starts there (≈ 16 B each).
	anchorCache = 4096
	// seedClaim names the claim on which seq seeds a history whose stream
	// dropped its start before history was kept; seedWait is how long a
	// node waits for the claimer's keyframe before it claims again.
	seedClaim = "seed"
	seedWait  = 10 * time.Second
	// readAttempts: a read that fails before visiting anything (a stream
	// or consumer leader changing) is tried again this many times in all,
	// readBackoff apart; so is a keyframe this node knows of that a
	// bucket replica does not have yet (direct gets may be answered by a
	// replica a moment behind).
	readAttempts = 20
	readBackoff  = 100 * time.Millisecond
)

// ErrNotReady means cluster-mode history has not caught up with the
// stream yet since the node started: answered 503, try again in a moment.
var ErrNotReady = errors.New("history: not caught up with the stream yet")

// LogVisit visits one Delta of a Log: its seq, the stream's timestamp of
// it (Unix ns), the toggle count after it, and the frame (valid during the
// visit only).
type LogVisit = func(seq uint64, stamp int64, toggles uint64, frame []byte) error

// Log is a cluster's log of record as Stream reads it (cluster.HistoryLog):
// the stream of Deltas and the keyframe bucket.
type Log interface {
	// Epoch is the history epoch of every record.
	Epoch() uint64
	// Bounds are the first and last seq held (first = last+1 if none).
	Bounds(ctx context.Context) (first, last uint64, err error)
	// Read visits from … to in order; a seq not held is an error.
	Read(ctx context.Context, from, to uint64, visit LogVisit) error
	// Follow visits from on, as committed, until ctx ends (nil).
	Follow(ctx context.Context, from uint64, visit LogVisit) error
	// Keyframes lists the bucket's keyframe seqs, ascending.
	Keyframes(ctx context.Context) ([]uint64, error)
	// GetKeyframe returns one (nil, nil if absent).
	GetKeyframe(ctx context.Context, seq uint64) ([]byte, error)
	// PutKeyframe stores one unless it is there (the first write stands).
	PutKeyframe(ctx context.Context, seq uint64, b []byte) error
	// DeleteKeyframe removes one.
	DeleteKeyframe(ctx context.Context, seq uint64) error
	// Claim stores value under name unless something is there, replacing
	// what is there only if stale says so, and returns what stands.
	Claim(ctx context.Context, name string, value []byte, stale func([]byte) bool) ([]byte, error)
	// Snapshot is the newest grid snapshot the sequencers wrote.
	Snapshot(ctx context.Context) (seq, toggles uint64, bits *protocol.Bitset, err error)
}

// Stream is cluster-mode history, a Source over a Log. Run follows the
// log: it keeps the grid, the hash chain and the commit time at the
// stream's tail, publishes them as the Head, and writes a keyframe after
// every streamKeyframeBytes of frames. Keyframe seqs are a function of the
// stream (counted from the newest keyframe), so every node writes the same
// keyframes, byte for byte, and the first write of each stands.
//
// A record's commit time is the stream's timestamp of its message (set
// by the stream leader and replicated with it), raised to the previous
// record's if a new leader's clock is behind: times never decrease, and
// every node computes the same ones. Methods other than Run are safe for
// concurrent use; they read the bucket and the stream on demand and keep
// a few keyframes.
type Stream struct {
	log     Log
	logger  *slog.Logger
	every   int64
	head    atomic.Pointer[store.Head]
	mu      sync.Mutex
	keys    []uint64
	infos   map[uint64]store.Keyframe
	grids   map[uint64]*store.State
	order   []uint64 // grids, oldest use first
	anchors map[uint64]int64
	pruned  int
	reason  string
}

// NewStream returns history over log, a keyframe after every
// keyframeBytes of frames (0: streamKeyframeBytes; every node of a
// cluster must use the same); call Run to follow it.
func NewStream(log Log, keyframeBytes int64, logger *slog.Logger) *Stream {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if keyframeBytes <= 0 {
		keyframeBytes = streamKeyframeBytes
	}
	return &Stream{log: log, logger: logger, every: keyframeBytes, infos: map[uint64]store.Keyframe{},
		grids: map[uint64]*store.State{}, anchors: map[uint64]int64{}}
}

// Run follows the log until ctx ends, starting again from the newest
// keyframe after any failure.
func (s *Stream) Run(ctx context.Context) error {
	for {
		err := s.follow(ctx)
		if ctx.Err() != nil {
			return nil
		}
		s.logger.Warn("history: following the stream", "err", err)
		if !pause.For(ctx, streamRetry) {
			return nil
		}
	}
}

// tail is the state at the last record Run has seen.
type tail struct {
	rep     protocol.Replica
	toggles uint64
	time    int64
	chain   store.Chain
	bytes   int64 // frame bytes since the last keyframe
}

func (s *Stream) follow(ctx context.Context) error {
	keys, err := s.log.Keyframes(ctx)
	if err != nil {
		return err
	}
	first, _, err := s.log.Bounds(ctx)
	if err != nil {
		return err
	}
	keys = usable(keys, first)
	if len(keys) == 0 {
		k, err := s.seed(ctx, first)
		if err != nil {
			return err
		}
		keys = []uint64{k}
	}
	s.setKeys(keys, first)
	kf, st, err := s.keyframe(keys[len(keys)-1])
	if err != nil {
		return err
	}
	t := &tail{toggles: kf.Toggles, time: kf.Time, chain: kf.Chain}
	t.rep.Reset(kf.Epoch, kf.Seq, &st.Grid)
	s.publish(t)
	epoch := s.log.Epoch()
	return s.log.Follow(ctx, kf.Seq+1, func(seq uint64, stamp int64, toggles uint64, frame []byte) error {
		if _, err := t.rep.Apply(frame); err != nil {
			return fmt.Errorf("%w: stream message %d: %w", store.ErrCorrupt, seq, err)
		}
		t.toggles, t.time = toggles, max(t.time, stamp)
		t.chain = t.chain.Next(epoch, seq, t.time, toggles, frame)
		t.bytes += int64(len(frame))
		if t.bytes >= s.every {
			t.bytes = 0
			s.writeKeyframe(ctx, t)
		}
		s.publish(t)
		return nil
	})
}

// usable drops the keyframes before the stream's start: the records after
// them are gone (a keyframe at first-1 still has all its records).
func usable(keys []uint64, first uint64) []uint64 {
	i := sort.Search(len(keys), func(i int) bool { return keys[i]+1 >= first })
	return keys[i:]
}

// seed makes the first keyframe: the empty grid at 0 if the stream holds
// its start, else the newest snapshot, claimed once for every node (its
// chain starts at its own base: what came before was dropped before
// history was kept).
func (s *Stream) seed(ctx context.Context, first uint64) (uint64, error) {
	epoch := s.log.Epoch()
	if first <= 1 {
		st := &store.State{Epoch: epoch}
		b := store.AppendKeyframe(nil, st, 0, store.ChainBase(epoch, 0, 0, &st.Grid))
		return 0, s.log.PutKeyframe(ctx, 0, b)
	}
	claimed := time.Now()
	for {
		seq, toggles, bits, err := s.log.Snapshot(ctx)
		if err != nil {
			return 0, err
		}
		mine := le64(seq)
		got, err := s.log.Claim(ctx, seedClaim, mine, func(v []byte) bool {
			if len(v) != 8 || u64(v)+1 < first {
				return true
			}
			b, err := s.log.GetKeyframe(ctx, u64(v))
			return err == nil && b == nil && time.Since(claimed) > seedWait
		})
		if err != nil {
			return 0, err
		}
		if len(got) != 8 {
			return 0, fmt.Errorf("%w: seed claim of %d bytes", store.ErrCorrupt, len(got))
		}
		if u64(got) == seq && seq+1 >= first {
			// Ours: the keyframe at the snapshot, timed by its message.
			var at int64
			if seq > 0 {
				_ = s.log.Read(ctx, seq, seq, func(_ uint64, stamp int64, _ uint64, _ []byte) error {
					at = stamp
					return nil
				})
			}
			st := &store.State{Epoch: epoch, Seq: seq, Toggles: toggles, Grid: *bits}
			b := store.AppendKeyframe(nil, st, at, store.ChainBase(epoch, seq, toggles, bits))
			return seq, s.log.PutKeyframe(ctx, seq, b)
		}
		// Another node's: wait for its keyframe.
		if b, err := s.log.GetKeyframe(ctx, u64(got)); err != nil || b != nil {
			return u64(got), err
		}
		if !pause.For(ctx, streamRetry) {
			return 0, ctx.Err()
		}
	}
}

// writeKeyframe stores the keyframe at t and drops those the stream has
// left behind. A failed write is logged: the next keyframe bounds replay.
func (s *Stream) writeKeyframe(ctx context.Context, t *tail) {
	st := &store.State{Epoch: t.rep.Epoch, Seq: t.rep.Seq, Toggles: t.toggles, Grid: t.rep.Grid}
	if err := s.log.PutKeyframe(ctx, st.Seq, store.AppendKeyframe(nil, st, t.time, t.chain)); err != nil {
		s.logger.Warn("history: keyframe", "seq", st.Seq, "err", err)
		return
	}
	first, _, err := s.log.Bounds(ctx)
	if err != nil {
		first = 0
	}
	s.mu.Lock()
	s.keys = append(s.keys, st.Seq)
	s.infos[st.Seq] = store.Keyframe{Epoch: st.Epoch, Seq: st.Seq, Toggles: st.Toggles, Time: t.time, Chain: t.chain, Chained: true}
	old := slices.Clone(s.keys[:len(s.keys)-len(usable(s.keys, first))])
	s.keys = usable(s.keys, first)
	s.mu.Unlock()
	for _, k := range old {
		if err := s.log.DeleteKeyframe(ctx, k); err != nil {
			s.logger.Warn("history: drop keyframe", "seq", k, "err", err)
		}
		s.mu.Lock()
		s.pruned++
		s.reason = "stream-limits"
		delete(s.infos, k)
		s.mu.Unlock()
	}
}

func (s *Stream) setKeys(keys []uint64, first uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = keys
	if first > 1 {
		s.reason = "stream-limits"
	}
}

// publish makes t the head.
func (s *Stream) publish(t *tail) {
	s.mu.Lock()
	hd := &store.Head{Epoch: t.rep.Epoch, Seq: t.rep.Seq, Toggles: t.toggles, Time: t.time, Chain: t.chain,
		First: s.keys[0], Dropped: store.Dropped{Keyframes: s.pruned, Reason: s.reason}}
	s.mu.Unlock()
	s.head.Store(hd)
}

// Head returns where Run has got to; ErrNotReady before it started.
func (s *Stream) Head() (store.Head, error) {
	hd := s.head.Load()
	if hd == nil {
		return store.Head{}, ErrNotReady
	}
	return *hd, nil
}

// Keyframes returns the keyframe seqs this node knows, ascending.
func (s *Stream) Keyframes(uint64) ([]uint64, error) {
	if _, err := s.Head(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.keys), nil
}

// Keyframe returns the header of the keyframe at seq.
func (s *Stream) Keyframe(seq uint64) (store.Keyframe, error) {
	s.mu.Lock()
	kf, ok := s.infos[seq]
	s.mu.Unlock()
	if ok {
		return kf, nil
	}
	kf, _, err := s.keyframe(seq)
	return kf, err
}

// keyframe reads (or recalls) the keyframe at seq; the state is the
// caller's to change.
func (s *Stream) keyframe(seq uint64) (store.Keyframe, *store.State, error) {
	s.mu.Lock()
	kf := s.infos[seq]
	st, ok := s.grids[seq]
	if ok {
		s.order = append(slices.DeleteFunc(s.order, func(k uint64) bool { return k == seq }), seq)
		cp := *st
		s.mu.Unlock()
		return kf, &cp, nil
	}
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), streamReadTimeout)
	defer cancel()
	var b []byte
	var err error
	for attempt := 1; ; attempt++ {
		b, err = s.log.GetKeyframe(ctx, seq)
		if (err == nil && b != nil) || attempt == readAttempts || !s.knows(seq) || !pause.For(ctx, readBackoff) {
			break
		}
	}
	if err != nil {
		return store.Keyframe{}, nil, err
	}
	if b == nil {
		return store.Keyframe{}, nil, fmt.Errorf("%w: keyframe %d is not in the bucket (dropped)", store.ErrNotKept, seq)
	}
	kf, st, err = store.DecodeKeyframe(fmt.Sprintf("keyframe %d", seq), b)
	if err == nil && (kf.Seq != seq || kf.Epoch != s.log.Epoch()) {
		err = fmt.Errorf("%w: keyframe %d holds seq %d of epoch %d", store.ErrCorrupt, seq, kf.Seq, kf.Epoch)
	}
	if err != nil {
		return store.Keyframe{}, nil, err
	}
	s.mu.Lock()
	s.infos[seq] = kf
	if _, ok := s.grids[seq]; !ok {
		if len(s.order) >= keyframeCache {
			delete(s.grids, s.order[0])
			s.order = s.order[1:]
		}
		cp := *st
		s.grids[seq] = &cp
		s.order = append(s.order, seq)
	}
	s.mu.Unlock()
	return kf, st, nil
}

// view returns the head and the keyframes, checking seq lies in between.
func (s *Stream) view(seq uint64) (store.Head, []uint64, error) {
	hd, err := s.Head()
	if err != nil {
		return hd, nil, err
	}
	s.mu.Lock()
	keys := slices.Clone(s.keys)
	s.mu.Unlock()
	if seq > hd.Seq || len(keys) == 0 || seq < keys[0] {
		return hd, nil, fmt.Errorf("%w: seq %d (history holds %d..%d)", store.ErrNotKept, seq, hd.First, hd.Seq)
	}
	return hd, keys, nil
}

// before returns the newest of keys at or before seq (keys[0] ≤ seq).
func before(keys []uint64, seq uint64) uint64 {
	return keys[sort.Search(len(keys), func(i int) bool { return keys[i] > seq })-1]
}

// read reads from … to of the log within streamReadTimeout. An attempt
// that fails or makes no progress for streamAttemptTimeout (a consumer
// stalled while a leader changes, or a request left unanswered) is given
// up and the read goes on from the next seq not yet visited, so visit sees
// each seq once, in order. A range the stream no longer holds is
// ErrNotKept; visit's own errors end the read at once.
func (s *Stream) read(from, to uint64, visit LogVisit) error {
	deadline := time.Now().Add(streamReadTimeout)
	next := from
	var err, visitErr error
	for {
		actx, cancel := context.WithTimeout(context.Background(), streamAttemptTimeout)
		err = s.log.Read(actx, next, to, func(seq uint64, stamp int64, toggles uint64, frame []byte) error {
			if visitErr = visit(seq, stamp, toggles, frame); visitErr != nil {
				return visitErr
			}
			next = seq + 1
			return nil
		})
		cancel()
		if err == nil || visitErr != nil || time.Now().After(deadline) || s.gone(next) {
			break
		}
		s.logger.Debug("history: read again", "from", next, "to", to, "err", err)
		time.Sleep(readBackoff)
	}
	if err != nil && visitErr == nil && s.gone(next) {
		return fmt.Errorf("%w: record %d: the stream no longer holds it", store.ErrNotKept, next)
	}
	return err
}

// gone says the stream's limits dropped seq.
func (s *Stream) gone(seq uint64) bool {
	ctx, cancel := context.WithTimeout(context.Background(), streamAttemptTimeout)
	defer cancel()
	first, _, err := s.log.Bounds(ctx)
	return err == nil && seq < first
}

var errStopRead = errors.New("history: stop reading")

// knows says seq is one of the keyframes this node follows.
func (s *Stream) knows(seq uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := slices.BinarySearch(s.keys, seq)
	return ok
}

// GridAt returns the state at seq and the commit time of record seq.
func (s *Stream) GridAt(seq uint64) (*store.State, int64, error) {
	_, keys, err := s.view(seq)
	if err != nil {
		return nil, 0, err
	}
	kf, st, err := s.keyframe(before(keys, seq))
	if err != nil || kf.Seq == seq {
		return st, kf.Time, err
	}
	var rep protocol.Replica
	rep.Reset(st.Epoch, st.Seq, &st.Grid)
	at := kf.Time
	err = s.read(kf.Seq+1, seq, func(n uint64, stamp int64, toggles uint64, frame []byte) error {
		if _, err := rep.Apply(frame); err != nil {
			return fmt.Errorf("%w: stream message %d: %w", store.ErrCorrupt, n, err)
		}
		at, st.Toggles = max(at, stamp), toggles
		return nil
	})
	if err == nil && rep.Seq != seq {
		err = fmt.Errorf("%w: the stream ends at seq %d, before %d", store.ErrCorrupt, rep.Seq, seq)
	}
	if err != nil {
		return nil, 0, err
	}
	st.Grid, st.Seq = rep.Grid, seq
	s.anchor(seq, at)
	return st, at, nil
}

// anchor remembers the commit time at seq.
func (s *Stream) anchor(seq uint64, at int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.anchors) >= anchorCache {
		clear(s.anchors)
	}
	s.anchors[seq] = at
}

// timeBefore returns where to start reading for records from on, and the
// commit time just before it: from itself if the time at from-1 is known,
// else the newest keyframe before from.
func (s *Stream) timeBefore(keys []uint64, from uint64) (start uint64, at int64, err error) {
	s.mu.Lock()
	at, ok := s.anchors[from-1]
	s.mu.Unlock()
	if ok {
		return from, at, nil
	}
	kf, err := s.Keyframe(before(keys, from-1))
	return kf.Seq + 1, kf.Time, err
}

// Records visits the records from … to in order with their commit times.
func (s *Stream) Records(from, to uint64, visit func(store.Record) error) error {
	if from == 0 {
		return fmt.Errorf("%w: records start at seq 1", store.ErrNotKept)
	}
	hd, keys, err := s.view(from - 1)
	if err == nil && (from > to || to > hd.Seq) {
		err = fmt.Errorf("%w: records %d..%d (history holds records %d..%d)", store.ErrNotKept, from, to, hd.First+1, hd.Seq)
	}
	if err != nil {
		return err
	}
	start, at, err := s.timeBefore(keys, from)
	if err != nil {
		return err
	}
	last := start - 1
	err = s.read(start, to, func(seq uint64, stamp int64, toggles uint64, frame []byte) error {
		at = max(at, stamp)
		last = seq
		if seq < from {
			return nil
		}
		return visit(store.Record{Seq: seq, Toggles: toggles, Time: at, Frame: frame})
	})
	if last >= from {
		s.anchor(last, at)
	}
	if errors.Is(err, store.ErrStop) {
		return nil
	}
	return err
}

// SeqAt returns the last seq committed at or before unixNano.
func (s *Stream) SeqAt(unixNano int64) (uint64, error) {
	hd, err := s.Head()
	if err != nil {
		return 0, err
	}
	keys, _ := s.Keyframes(hd.Seq)
	at0, err := store.KeyframeAt(keys, s.Keyframe, unixNano)
	if err != nil {
		return 0, err
	}
	kf, err := s.Keyframe(at0)
	if err != nil || kf.Seq >= hd.Seq {
		return kf.Seq, err
	}
	seq, at := kf.Seq, kf.Time
	err = s.read(kf.Seq+1, hd.Seq, func(n uint64, stamp int64, _ uint64, _ []byte) error {
		if at = max(at, stamp); at > unixNano {
			return errStopRead
		}
		seq = n
		return nil
	})
	if errors.Is(err, errStopRead) {
		err = nil
	}
	return seq, err
}

// ChainAt returns the hash chain at seq.
func (s *Stream) ChainAt(seq uint64) (store.Chain, bool, error) {
	_, keys, err := s.view(seq)
	if err != nil {
		return store.Chain{}, false, err
	}
	kf, err := s.Keyframe(before(keys, seq))
	if err != nil {
		return store.Chain{}, false, err
	}
	c, at, n := kf.Chain, kf.Time, kf.Seq
	epoch := s.log.Epoch()
	err = s.read(kf.Seq+1, seq, func(seq uint64, stamp int64, toggles uint64, frame []byte) error {
		at = max(at, stamp)
		c, n = c.Next(epoch, seq, at, toggles, frame), seq
		return nil
	})
	if err == nil && n != seq {
		err = fmt.Errorf("%w: the stream ends at seq %d, before %d", store.ErrCorrupt, n, seq)
	}
	return c, kf.Chained, err
}

var _ Source = (*Stream)(nil)

// SingleEpoch says every record of a cluster's history is of its one
// epoch (no recovery cuts a torn tail there: the stream's quorum does).
func (s *Stream) SingleEpoch() {}

func le64(v uint64) []byte {
	b := make([]byte, 8)
	for i := range b {
		b[i] = byte(v >> (8 * i))
	}
	return b
}

func u64(b []byte) uint64 {
	var v uint64
	for i := range 8 {
		v |= uint64(b[i]) << (8 * i)
	}
	return v
}

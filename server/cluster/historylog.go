package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/nats-io/nats.go/jetstream"

	"checkgrid/protocol"
)

// The keyframe bucket: the grid at chosen seqs of the stream, so that the
// grid at any seq is one keyframe plus a bounded read of the stream
// (server/history.Stream decides where and writes them).
const (
	KeyframeBucket = "checkgrid_keyframes"
	// readBatch: messages asked of the stream per pull in a history read;
	// a read holds at most this many at once (≈ 256 × a busy tick's few KB).
	readBatch = 256
)

// ErrNotRetained: a history read asked for a seq the stream no longer has
// (its limits dropped it) or does not have yet.
var ErrNotRetained = errors.New("cluster: seq not in the stream")

// HistoryLog is the cluster's log of record as server/history reads it:
// the stream's Deltas with their stream timestamps and toggle counts, and
// the keyframe bucket. Safe for concurrent use.
type HistoryLog struct {
	n  *Node
	kv jetstream.KeyValue
}

// HistoryLog opens the node's view of history, creating the keyframe
// bucket the first time.
func (n *Node) HistoryLog(ctx context.Context) (*HistoryLog, error) {
	kv, err := untilUp(ctx, n.log, "keyframe bucket", func(actx context.Context) (jetstream.KeyValue, error) {
		return n.js.CreateOrUpdateKeyValue(actx, jetstream.KeyValueConfig{
			Bucket: KeyframeBucket, Description: "checkgrid: keyframes of history (the grid at a seq, with the hash chain)",
			History: 1, Storage: jetstream.FileStorage, Replicas: n.cfg.Replicas,
		})
	})
	if err != nil {
		return nil, fmt.Errorf("keyframe bucket: %w", err)
	}
	return &HistoryLog{n: n, kv: kv}, nil
}

// Epoch is the cluster's history epoch: every record belongs to it.
func (l *HistoryLog) Epoch() uint64 { return l.n.History }

// Bounds returns the first and last seq the stream holds (first is
// last+1 when it holds none).
func (l *HistoryLog) Bounds(ctx context.Context) (first, last uint64, err error) {
	actx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	info, err := l.n.h.stream.Info(actx)
	if err != nil {
		return 0, 0, fmt.Errorf("stream info: %w", err)
	}
	first, last = info.State.FirstSeq, info.State.LastSeq
	if first == 0 {
		first = last + 1
	}
	return first, last, nil
}

// Read visits the Deltas from … to in order with their stream timestamps
// (Unix ns) and toggle counts; frame is valid only during the visit. A
// seq the stream does not hold is ErrNotRetained; an error from visit
// ends the read and is returned.
func (l *HistoryLog) Read(ctx context.Context, from, to uint64, visit func(seq uint64, stamp int64, toggles uint64, frame []byte) error) error {
	if from > to {
		return nil
	}
	err := l.Follow(ctx, from, func(seq uint64, stamp int64, toggles uint64, frame []byte) error {
		if err := visit(seq, stamp, toggles, frame); err != nil {
			return err
		}
		if seq == to {
			return errReadDone
		}
		return nil
	})
	if errors.Is(err, errReadDone) {
		return nil
	}
	if err == nil { // ctx ended first
		return fmt.Errorf("history read %d..%d: %w", from, to, ctx.Err())
	}
	return err
}

var errReadDone = errors.New("cluster: read done")

// Follow visits every Delta from seq from on, in order, as the stream
// commits it, until ctx ends (nil) or visit fails (its error), through
// one ordered consumer. A hole (retention dropped what was next) is
// ErrNotRetained.
func (l *HistoryLog) Follow(ctx context.Context, from uint64, visit func(seq uint64, stamp int64, toggles uint64, frame []byte) error) error {
	actx, cancel := context.WithTimeout(ctx, apiTimeout)
	cons, err := l.n.h.stream.OrderedConsumer(actx, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:   from,
	})
	cancel()
	if err != nil {
		return fmt.Errorf("history read from %d: %w", from, err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(readBatch))
	if err != nil {
		return fmt.Errorf("history read from %d: %w", from, err)
	}
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	defer it.Stop()
	next := from
	for {
		m, err := it.Next()
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return fmt.Errorf("history read at %d: %w", next, err)
		}
		md, err := m.Metadata()
		if err != nil {
			return fmt.Errorf("history read: %w", err)
		}
		seq := md.Sequence.Stream
		if seq < next {
			continue
		}
		if seq > next {
			return fmt.Errorf("%w: %d (the stream went on at %d)", ErrNotRetained, next, seq)
		}
		toggles, _ := strconv.ParseUint(m.Headers().Get(hdrToggles), 10, 64)
		if err := visit(seq, md.Timestamp.UnixNano(), toggles, m.Data()); err != nil {
			return err
		}
		next++
	}
}

func keyframeKey(seq uint64) string { return fmt.Sprintf("%016x", seq) }

// Keyframes lists the seqs of the keyframes in the bucket, ascending.
func (l *HistoryLog) Keyframes(ctx context.Context) ([]uint64, error) {
	actx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	lister, err := l.kv.ListKeys(actx)
	if err != nil {
		return nil, fmt.Errorf("keyframe list: %w", err)
	}
	defer func() { _ = lister.Stop() }()
	var seqs []uint64
	for k := range lister.Keys() {
		if seq, err := strconv.ParseUint(k, 16, 64); err == nil && len(k) == 16 {
			seqs = append(seqs, seq)
		}
	}
	if err := actx.Err(); err != nil {
		return nil, fmt.Errorf("keyframe list: %w", err)
	}
	slices.Sort(seqs)
	return seqs, nil
}

// GetKeyframe returns the keyframe at seq; nil (and no error) if the
// bucket has none there.
func (l *HistoryLog) GetKeyframe(ctx context.Context, seq uint64) ([]byte, error) {
	actx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	e, err := l.kv.Get(actx, keyframeKey(seq))
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("keyframe %d: %w", seq, err)
	}
	return e.Value(), nil
}

// PutKeyframe stores the keyframe at seq unless one is there already:
// keyframes are a function of the stream, so every node that writes one
// writes the same bytes and the first write stands.
func (l *HistoryLog) PutKeyframe(ctx context.Context, seq uint64, b []byte) error {
	actx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	_, err := l.kv.Create(actx, keyframeKey(seq), b)
	if err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
		return fmt.Errorf("keyframe %d: %w", seq, err)
	}
	return nil
}

// DeleteKeyframe removes the keyframe at seq (history before the stream's
// first seq is gone: its keyframes are of no use).
func (l *HistoryLog) DeleteKeyframe(ctx context.Context, seq uint64) error {
	actx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	if err := l.kv.Purge(actx, keyframeKey(seq)); err != nil {
		return fmt.Errorf("keyframe %d: %w", seq, err)
	}
	return nil
}

// Claim stores value under name if nothing is there yet, or in place of
// what is there if stale says so (compare-and-set on its revision), and
// returns what stands: the first claim stands (which node seeds history).
func (l *HistoryLog) Claim(ctx context.Context, name string, value []byte, stale func([]byte) bool) ([]byte, error) {
	actx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	for {
		_, err := l.kv.Create(actx, name, value)
		if err == nil {
			return value, nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return nil, fmt.Errorf("claim %s: %w", name, err)
		}
		e, err := l.kv.Get(actx, name)
		if err != nil {
			return nil, fmt.Errorf("claim %s: %w", name, err)
		}
		if !stale(e.Value()) {
			return e.Value(), nil
		}
		if _, err := l.kv.Update(actx, name, value, e.Revision()); err == nil {
			return value, nil
		}
		// Another node replaced it meanwhile: look again.
	}
}

// Snapshot returns the newest grid snapshot the sequencers wrote (the
// empty grid at 0 if none), to seed history in a stream that dropped its
// start before history was kept.
func (l *HistoryLog) Snapshot(ctx context.Context) (seq, toggles uint64, bits *protocol.Bitset, err error) {
	s, err := l.n.loadSnapshot(ctx)
	if err != nil {
		return 0, 0, nil, err
	}
	return s.seq, s.toggles, s.bits, nil
}

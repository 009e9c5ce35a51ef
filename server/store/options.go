package store

import (
	"fmt"
	"log/slog"
	"time"
)

// SyncMode says when Append makes a record durable.
type SyncMode uint8

const (
	// SyncEveryAppend: Append returns only after fsync. With one Append per
	// server tick this is group commit: every change of a tick shares one
	// fsync, and no client sees a change before it is on disk.
	SyncEveryAppend SyncMode = iota
	// SyncInterval: Append returns after write(2); the log is fsynced when an
	// Append finds the last fsync at least Options.SyncInterval old, and by
	// Sync, Checkpoint and Close. A process crash (kill -9) loses nothing;
	// power loss or a kernel crash can lose the records written since the
	// last fsync, which clients may already have seen.
	SyncInterval
)

func (m SyncMode) String() string {
	switch m {
	case SyncEveryAppend:
		return "every-append"
	case SyncInterval:
		return "interval"
	}
	return fmt.Sprintf("SyncMode(%d)", uint8(m))
}

// Defaults for zero Options fields.
const (
	// DefaultSyncInterval bounds what SyncInterval mode can lose to about
	// one to two ticks at 10-20 Hz.
	DefaultSyncInterval = 100 * time.Millisecond
	// DefaultSegmentBytes is the unit history is read and dropped in: a
	// lookup of the grid at a seq reads at most one segment's records
	// before the keyframe's, so segments stay small (a busy tick logs
	// ~1-10 KB, so still hundreds of ticks per segment).
	DefaultSegmentBytes = 8 << 20
	// DefaultCheckpointEvery makes a keyframe after a quiet-but-steady
	// period. Every checkpoint is kept as a keyframe of history, so in a
	// quiet hour this costs at most one ~125 KB snapshot; replay is bounded
	// by CheckpointBytes either way.
	DefaultCheckpointEvery = time.Hour
	// DefaultCheckpointBytes bounds replay, both at a restart and for the
	// grid at any seq of history: one keyframe plus at most this many bytes
	// of Delta frames (what replay decodes; the log's version-3 records
	// take about 60 % of that on the synthetic day). A keyframe (≤ 125 KB)
	// per 2 MiB of frames is about 6 % of the frames, 0.12 B a change at
	// 2 B a change (BENCHMARKS.md, kept history).
	DefaultCheckpointBytes = 2 << 20
)

// Options configure a Store. The zero value is the safe default.
type Options struct {
	Sync            SyncMode
	SyncInterval    time.Duration // SyncInterval mode's fsync period; default DefaultSyncInterval
	SegmentBytes    int64         // rotate the log segment at this size; default DefaultSegmentBytes
	CheckpointEvery time.Duration // WantCheckpoint after this long; default DefaultCheckpointEvery
	CheckpointBytes int64         // ... or after this many bytes of Delta frames logged; default DefaultCheckpointBytes
	// HistoryMaxBytes bounds the kept history (log segments plus
	// keyframes) in bytes; 0 keeps it forever. HistoryMaxAge drops
	// history older than this; 0 keeps it forever. Whole segments and
	// keyframes are dropped, oldest first, after a checkpoint; the newest
	// two keyframes and the log from the older of them always stay
	// (recovery's fallback), so the bounds are met up to that much.
	HistoryMaxBytes int64
	HistoryMaxAge   time.Duration
	Logger          *slog.Logger        // nil = discard
	ObserveFsync    func(time.Duration) // optional; called on the calling goroutine after each log fsync
	// SlowSync is a fault layer for benchmarks: every fsync of the log
	// takes at least this long, like a slow or throttled disk. Zero in
	// production.
	SlowSync time.Duration
}

func (o Options) withDefaults() Options {
	if o.SyncInterval <= 0 {
		o.SyncInterval = DefaultSyncInterval
	}
	if o.SegmentBytes <= 0 {
		o.SegmentBytes = DefaultSegmentBytes
	}
	if o.CheckpointEvery <= 0 {
		o.CheckpointEvery = DefaultCheckpointEvery
	}
	if o.CheckpointBytes <= 0 {
		o.CheckpointBytes = DefaultCheckpointBytes
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

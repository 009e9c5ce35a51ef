package cluster

import (
	"errors"
	"log/slog"
	"time"

	"checkgrid/server/metrics"
)

// Names in NATS. Every node of one grid uses the same ones; KV bucket names
// allow only [A-Za-z0-9_-].
const (
	StreamName    = "CHECKGRID"
	DeltaSubject  = "checkgrid.delta"   // the stream's only subject: one message per Delta
	LiveSubject   = "checkgrid.live"    // RePublish destination: every committed Delta, leader only
	setPrefix     = "checkgrid.set."    // + sequencer node: its nodes' batched Sets
	onlinePrefix  = "checkgrid.online." // + node: that node's player count, every onlineEvery
	LeaseBucket   = "checkgrid_lease"
	LeaseKey      = "sequencer" // value: the holder's node name
	snapBucket    = "checkgrid_snap"
	snapKey       = "grid"
	metaBucket    = "checkgrid_meta"
	historyKey    = "history" // 8 bytes: the history epoch every node announces
	hdrToggles    = "Checkgrid-Toggles"
	hdrNode       = "Checkgrid-Node"       // on a Set batch: the forwarder's key, node name "." incarnation
	hdrBatch      = "Checkgrid-Batch"      // on a Set batch: its id, per forwarder increasing
	hdrBatches    = "Checkgrid-Batches"    // on a Delta: key=id of the newest batch of each forwarder it commits
	hdrExpiresIn  = "Checkgrid-Expires-In" // on a Set batch: ms until its forwarder refuses it
	hdrStreamSeq  = "Nats-Sequence"        // set by RePublish
	defaultPrefix = "node-"
)

// Defaults for Config.
const (
	// DefaultReplicas: three copies survive the loss of any one server
	// with a quorum of two still acknowledging.
	DefaultReplicas = 3
	// DefaultLeaseTTL bounds the write pause after a sequencer dies: the
	// lease expires within this, and a candidate polls every TTL/4. Two
	// seconds is well above a loaded node's GC or scheduling hiccup
	// (which would otherwise cause needless failovers) and low enough that
	// players barely notice Sets refused for a moment.
	DefaultLeaseTTL = 2 * time.Second
	// DefaultTick: the sequencer's period, as the single process's.
	DefaultTick = 50 * time.Millisecond
	// DefaultSnapshotEvery: a joining node replays at most this much of
	// the stream (at 20 ticks/s, 100 Deltas).
	DefaultSnapshotEvery = 5 * time.Second
	// The stream is history's log of record (issue 21): by default it
	// keeps every Delta. Config.Retain, MaxBytes and MaxAge bound it (the
	// stream's own limits; what they drop is said in /api/history). With a
	// message bound, a snapshot is written at least every Retain/4 Deltas,
	// so a node always finds one inside what is retained; without one,
	// every SnapshotEvery.
)

// Config for a Node. Zero fields take the defaults above.
type Config struct {
	URLs          []string // NATS servers; any of them, the client learns the rest
	Node          string   // this node's name, unique among the nodes; default random
	Replicas      int
	LeaseTTL      time.Duration
	Tick          time.Duration
	SnapshotEvery time.Duration
	// Retain, MaxBytes, MaxAge: the stream's limits (messages, bytes, age
	// of a message); 0 keeps forever.
	Retain   int64
	MaxBytes int64
	MaxAge   time.Duration
	// OnlyURLs: connect only to URLs, never to the servers the cluster
	// advertises (for servers whose advertised addresses the node cannot
	// reach, and for tests that cut one node off).
	OnlyURLs bool
	Logger   *slog.Logger
	// Metrics gets the lease holder's Sequencer's figures (tick, commit,
	// checkpoints); nil: kept apart, unexported.
	Metrics *metrics.Metrics
}

// streamLimit is a stream limit for JetStream: -1 is none.
func streamLimit(v int64) int64 {
	if v <= 0 {
		return -1
	}
	return v
}

// snapTurn is how many Deltas a sequencer goes at most between
// snapshots: a quarter of the message bound, none without one.
func (c Config) snapTurn() uint64 {
	if c.Retain <= 0 {
		return ^uint64(0)
	}
	return max(1, uint64(c.Retain/4))
}

func (c Config) withDefaults() Config {
	if c.Replicas <= 0 {
		c.Replicas = DefaultReplicas
	}
	if c.LeaseTTL <= 0 {
		c.LeaseTTL = DefaultLeaseTTL
	}
	if c.Tick <= 0 {
		c.Tick = DefaultTick
	}
	if c.SnapshotEvery <= 0 {
		c.SnapshotEvery = DefaultSnapshotEvery
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Errors. ErrFenced: a publish was refused because the stream's last seq is
// not the one this sequencer built on (a newer sequencer, or this one was
// stale): it must step down or rebase. ErrLeaseLost: the lease could not be
// renewed in time. ErrCorrupt: a stored message is not the Delta its
// stream seq says. ErrBehind: the node is behind the stream's first seq and
// no snapshot covers the gap yet. ErrConfig: bad Config.
var (
	ErrFenced    = errors.New("cluster: fenced: the stream's last seq moved past this sequencer's")
	ErrLeaseLost = errors.New("cluster: sequencer lease lost")
	ErrCorrupt   = errors.New("cluster: stored message is not the Delta of its seq")
	ErrBehind    = errors.New("cluster: behind the stream's first seq, no snapshot covers it")
	ErrConfig    = errors.New("cluster: bad config")
	// ErrBatchExpired: a Delta holding a Set batch could not be committed
	// before the batch's forwarder refuses it; the sequencer stops trying
	// (and steps down) so that no refused box is ever committed.
	ErrBatchExpired = errors.New("cluster: a Set batch expired before its Delta was committed")
)

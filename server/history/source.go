package history

import "checkgrid/server/store"

// Source is kept history as the handler reads it: a data directory's
// (store.History, the single process) or a cluster's stream and keyframe
// bucket (Stream). Every method is safe for concurrent use; a seq or time
// outside the kept history is store.ErrNotKept.
type Source interface {
	// Head is where history ends (its last seq, time and chain) and what
	// was dropped from its start.
	Head() (store.Head, error)
	// Keyframes lists the kept keyframes' seqs, ascending, as of upto.
	Keyframes(upto uint64) ([]uint64, error)
	// Keyframe returns the header of the keyframe at seq.
	Keyframe(seq uint64) (store.Keyframe, error)
	// GridAt returns the state at seq and the commit time of record seq.
	GridAt(seq uint64) (*store.State, int64, error)
	// Records visits the records from … to in order; store.ErrStop from
	// visit ends it early without an error.
	Records(from, to uint64, visit func(store.Record) error) error
	// SeqAt returns the last seq committed at or before unixNano.
	SeqAt(unixNano int64) (uint64, error)
	// ChainAt returns the hash chain at seq; chained is false where
	// history predates the chain.
	ChainAt(seq uint64) (c store.Chain, chained bool, err error)
}

var _ Source = (*store.History)(nil)

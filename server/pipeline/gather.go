package pipeline

import (
	"errors"
	"fmt"

	"checkgrid/protocol"
)

// ErrStepDown ends Run: an Append or Gather error that wraps it says the
// log will take no more of this Sequencer's Deltas (a cluster's lease was
// lost, another sequencer wrote past it, or a batch it holds expired).
// Run returns that error; nothing it encoded and did not append is seen.
var ErrStepDown = errors.New("pipeline: the log takes no more Deltas from this sequencer")

// Gatherer is a Log whose changes come from elsewhere than Submit (a
// cluster's lease holder: the nodes' forwarded batches and the operator's
// changes), and that must know which of them each Delta holds. The
// Sequencer calls it on Run's goroutine, one call at a time, like the Log.
type Gatherer interface {
	Log
	// Gather sets, through set (true if the box flipped), every change
	// that arrived since the last call, right before a tick's collect:
	// so the next Append holds exactly what was gathered up to then (and
	// perhaps nothing, if nothing flipped). An error wrapping ErrStepDown
	// ends Run.
	Gather(set func(i uint32, v bool) bool) error
	// Settle is called on a tick whose collect found nothing to commit:
	// what was gathered set boxes to the values they have, so it is
	// committed as it is.
	Settle()
}

// Rebase is an Append error: the log has moved past the Sequencer's seq
// (another writer appended), but this Sequencer may go on from the log's
// state, Grid at Seq with Toggles. It rebuilds its grid from that state,
// sets again what was set here and not committed (the refused Delta's
// boxes and what was set since), and goes on; nothing is lost. Only a
// Gatherer's Sequencer can rebase: Submit's callers hold no lock against
// the grid being replaced.
type Rebase struct {
	Seq, Toggles uint64
	Grid         *protocol.Bitset
}

func (r *Rebase) Error() string {
	return fmt.Sprintf("pipeline: the log moved to seq %d; rebase", r.Seq)
}

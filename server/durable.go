package main

import (
	"checkgrid/protocol"
	"checkgrid/server/store"
)

// durable adapts a store.Store to the pipeline's Log. Like the store, it
// is used only by the Sequencer's goroutine.
type durable struct {
	s  *store.Store
	st store.State // reused for checkpoints: 125 KB, copied not allocated
}

func (d *durable) Append(seq, toggles uint64, frame []byte) error {
	return d.s.Append(seq, toggles, frame)
}

func (d *durable) Sync() error { return d.s.Sync() }

func (d *durable) WantCheckpoint() bool { return d.s.WantCheckpoint() }

func (d *durable) Checkpoint(epoch, seq, toggles uint64, g *protocol.Bitset) error {
	d.st.Epoch, d.st.Seq, d.st.Toggles, d.st.Grid = epoch, seq, toggles, *g
	return d.s.Checkpoint(&d.st)
}

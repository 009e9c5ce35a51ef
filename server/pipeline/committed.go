package pipeline

import "checkgrid/protocol"

// Committed is one step of the committed history, as every follower gets
// it: a Delta exactly as it was committed (Frame, whose seq is Seq, and
// Boxes, the boxes it flips, strictly increasing, so no follower decodes
// it again), or a reset (Frame nil) to the whole Grid at Seq. Toggles is
// the toggle count at Seq. Frame, Boxes and Grid are handed over: the
// sender does not modify them after the send.
type Committed struct {
	Seq     uint64
	Toggles uint64
	Frame   []byte
	Boxes   []uint32
	Grid    *protocol.Bitset
}

package protocol

import "fmt"

// ResyncReason says why the server is replacing a client's state.
type ResyncReason uint8

// Resync reasons.
const (
	ResyncLagging   ResyncReason = 1 // the client's outbox overflowed
	ResyncRequested ResyncReason = 2 // the client sent ResyncRequest
	ResyncStorage   ResyncReason = 3 // the server restored state after a storage fault
)

func (r ResyncReason) String() string {
	switch r {
	case ResyncLagging:
		return "lagging"
	case ResyncRequested:
		return "requested"
	case ResyncStorage:
		return "storage"
	}
	return fmt.Sprintf("ResyncReason(%d)", uint8(r))
}

// Resync tells a client to discard its grid: the next frame is a Snapshot,
// and Deltas up to that Snapshot's seq are not sent.
//
//	offset size field
//	0      1    type = 0x06
//	1      1    reason (ResyncReason)
//	2           end
type Resync struct{ Reason ResyncReason }

// ResyncSize is the length of a Resync frame.
const ResyncSize = 2

// AppendResync appends r as a frame to dst.
func AppendResync(dst []byte, r Resync) []byte {
	return append(dst, byte(TypeResync), byte(r.Reason))
}

// DecodeResync decodes a Resync frame. Unknown reasons are accepted, so a
// newer server can add some without breaking older clients.
func DecodeResync(b []byte) (Resync, error) {
	if err := exact(b, TypeResync, ResyncSize); err != nil {
		return Resync{}, err
	}
	return Resync{Reason: ResyncReason(b[1])}, nil
}

// ResyncRequest asks the server for a fresh Snapshot, after the client found
// a gap in seqs or an epoch it does not know.
//
//	offset size field
//	0      1    type = 0x11
//	1      8    last seq the client applied (0 if none); informational
//	9           end
type ResyncRequest struct{ HaveSeq uint64 }

// ResyncRequestSize is the length of a ResyncRequest frame.
const ResyncRequestSize = 9

// AppendResyncRequest appends r as a frame to dst.
func AppendResyncRequest(dst []byte, r ResyncRequest) []byte {
	dst = append(dst, byte(TypeResyncRequest))
	return le.AppendUint64(dst, r.HaveSeq)
}

// DecodeResyncRequest decodes a ResyncRequest frame.
func DecodeResyncRequest(b []byte) (ResyncRequest, error) {
	if err := exact(b, TypeResyncRequest, ResyncRequestSize); err != nil {
		return ResyncRequest{}, err
	}
	return ResyncRequest{HaveSeq: le.Uint64(b[1:])}, nil
}

package protocol

import "fmt"

// Head is what a server frame's fixed header says, read from a prefix of
// the frame without decoding (or even having) its payload: a load generator
// that reads only the first bytes of each message uses it to follow seqs
// cheaply. Fields a frame type does not carry are zero.
type Head struct {
	Type   FrameType
	Epoch  uint64 // Welcome, Snapshot
	Seq    uint64 // Snapshot, Delta
	Count  int    // Delta: flipped boxes; Reject: refused boxes
	Reason uint8  // Reject: RejectReason; Resync: ResyncReason
	MaxSet int    // Welcome: max boxes per Set
}

// HeadSize is the longest fixed header of a server frame (a Welcome); a
// prefix this long always holds the whole Head.
const HeadSize = WelcomeSize

// ReadHead reads the fixed header of a server frame from b, which may be
// only a prefix of the frame (at least the type's fixed header: 24 bytes
// always suffice). It checks lengths and the type, not the fields' ranges:
// a frame a client applies still goes through its full decoder.
func ReadHead(b []byte) (Head, error) {
	t, err := PeekType(b)
	if err != nil {
		return Head{}, err
	}
	h := Head{Type: t}
	need := 0
	switch t {
	case TypeWelcome:
		need = WelcomeSize
	case TypeSnapshot:
		need = SnapshotHeaderSize
	case TypeDelta:
		need = DeltaHeaderSize
	case TypeReject:
		need = RejectHeaderSize
	case TypeResync:
		need = ResyncSize
	case TypeStats:
		need = 1
	}
	if need == 0 {
		return h, fmt.Errorf("%w: %v is not a server frame", ErrType, t)
	}
	if len(b) < need {
		return h, fmt.Errorf("%w: %v header needs %d bytes, got %d", ErrShort, t, need, len(b))
	}
	switch t {
	case TypeWelcome:
		h.Epoch, h.MaxSet = le.Uint64(b[6:]), int(le.Uint16(b[14:]))
	case TypeSnapshot:
		h.Epoch, h.Seq = le.Uint64(b[2:]), le.Uint64(b[10:])
	case TypeDelta:
		h.Seq, h.Count = le.Uint64(b[1:]), int(le.Uint32(b[9:]))
	case TypeReject:
		h.Reason, h.Count = b[1], int(le.Uint16(b[6:]))
	case TypeResync:
		h.Reason = b[1]
	}
	return h, nil
}

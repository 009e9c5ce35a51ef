package protocol

import "fmt"

// Head is what a server frame's fixed header says, read from a prefix of
// the frame without decoding (or even having) its payload: a load generator
// that reads only the first bytes of each message uses it to follow seqs
// cheaply. Fields a frame type does not carry are zero.
type Head struct {
	Type   FrameType
	Epoch  uint64 // Welcome, Snapshot, AreaSnapshot
	Seq    uint64 // Snapshot, Delta, AreaSnapshot, AreaDelta, DeltaRange
	Prev   uint64 // AreaDelta, DeltaRange
	Count  int    // Delta, AreaDelta, DeltaRange: flipped boxes; Reject: refused boxes; Presence: cells
	Area   Area   // AreaSnapshot
	Ver    uint8  // Welcome: version
	Reason uint8  // Reject: RejectReason; Resync: ResyncReason
	Retry  uint32 // Reject: retry after, milliseconds
	MaxSet int    // Welcome: max boxes per Set
}

// HeadSize is the longest fixed header of a server frame (a version-2
// Welcome); a prefix this long always holds the whole Head.
const HeadSize = WelcomeV2Size

// ReadHead reads the fixed header of a server frame from b, which may be
// only a prefix of the frame (at least the type's fixed header: HeadSize
// bytes always suffice). It checks lengths and the type, not the fields' ranges:
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
		// Type and version: the size of a Welcome of a version this
		// package does not speak is unknown, and DecodeWelcome refuses it
		// (ErrVersion), so a client can tell the player to reload.
		need = 2
		if len(b) > 1 && b[1] == Version1 {
			need = WelcomeSize
		} else if len(b) > 1 && b[1] >= Version2 && b[1] <= Version {
			need = WelcomeV2Size
		}
	case TypeAreaSnapshot:
		need = AreaSnapshotHeaderSize
	case TypeAreaDelta:
		need = AreaDeltaHeaderSize
	case TypeDeltaRange:
		need = DeltaRangeHeaderSize
	case TypePresence:
		need = PresenceHeaderSize
	case TypeAnnounce:
		need = AnnounceHeaderSize
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
		h.Ver = b[1]
		if need > 2 {
			h.Epoch, h.MaxSet = le.Uint64(b[6:]), int(le.Uint16(b[14:]))
		}
	case TypeAreaSnapshot:
		h.Epoch, h.Seq = le.Uint64(b[2:]), le.Uint64(b[10:])
		h.Area = Area{X: le.Uint16(b[18:]), Y: le.Uint16(b[20:]), W: le.Uint16(b[22:]), H: le.Uint16(b[24:])}
	case TypeAreaDelta, TypeDeltaRange:
		h.Seq, h.Prev, h.Count = le.Uint64(b[1:]), le.Uint64(b[9:]), int(le.Uint32(b[17:]))
	case TypePresence:
		h.Count = int(le.Uint16(b[2:]))
	case TypeSnapshot:
		h.Epoch, h.Seq = le.Uint64(b[2:]), le.Uint64(b[10:])
	case TypeDelta:
		h.Seq, h.Count = le.Uint64(b[1:]), int(le.Uint32(b[9:]))
	case TypeReject:
		h.Reason, h.Retry, h.Count = b[1], le.Uint32(b[2:]), int(le.Uint16(b[6:]))
	case TypeResync:
		h.Reason = b[1]
	}
	return h, nil
}

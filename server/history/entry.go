package history

import (
	"encoding/binary"
	"errors"
	"fmt"

	"checkgrid/protocol"
)

// An entry is one record of history as the API and the export file carry
// it (PROTOCOL.md, History):
//
//	offset size field
//	0      8    commit time, Unix nanoseconds, little-endian (0 = unknown)
//	8      8    toggles: total toggles ever applied, after this record
//	16     4    n, length of the Delta frame (13 … 126,024)
//	20     n    the Delta frame, byte for byte as broadcast and stored
const entryHeader = 20

// ErrEntry means bytes are not a well-formed sequence of entries.
var ErrEntry = errors.New("history: bad entry")

// Entry is one decoded entry; Frame aliases the input.
type Entry struct {
	Time    int64
	Toggles uint64
	Seq     uint64 // the frame's
	Frame   []byte
}

func appendEntry(dst []byte, unixNano int64, toggles uint64, frame []byte) []byte {
	dst = binary.LittleEndian.AppendUint64(dst, uint64(unixNano))
	dst = binary.LittleEndian.AppendUint64(dst, toggles)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(frame)))
	return append(dst, frame...)
}

// NextEntry decodes the entry at the start of b and returns it and the
// rest. The frame's header is checked (protocol.DecodeDelta); its boxes
// are checked by whoever applies it.
func NextEntry(b []byte) (Entry, []byte, error) {
	if len(b) < entryHeader {
		return Entry{}, nil, fmt.Errorf("%w: %d bytes, an entry header is %d", ErrEntry, len(b), entryHeader)
	}
	le := binary.LittleEndian
	e := Entry{Time: int64(le.Uint64(b)), Toggles: le.Uint64(b[8:])}
	n := int(le.Uint32(b[16:]))
	if e.Time < 0 {
		return Entry{}, nil, fmt.Errorf("%w: negative time %d", ErrEntry, e.Time)
	}
	if n < protocol.DeltaHeaderSize || n > protocol.MaxServerMessage || n > len(b)-entryHeader {
		return Entry{}, nil, fmt.Errorf("%w: frame length %d (%d bytes follow; at most %d)", ErrEntry, n, len(b)-entryHeader, protocol.MaxServerMessage)
	}
	e.Frame = b[entryHeader : entryHeader+n]
	d, err := protocol.DecodeDelta(e.Frame)
	if err != nil {
		return Entry{}, nil, fmt.Errorf("%w: %w", ErrEntry, err)
	}
	e.Seq = d.Seq
	return e, b[entryHeader+n:], nil
}

package store

import (
	"encoding/binary"
	"hash/crc32"

	"checkgrid/protocol"
)

// Record layout (see doc.go for the table).
const (
	recordHeaderSize = 28
	// maxRecordFrame bounds a record's Delta frame before anything is
	// allocated for it: no frame the server sends is larger.
	maxRecordFrame = protocol.MaxServerMessage
	// sectorSize is the unit a disk writes atomically; a crash mid-write can
	// leave whole sectors of a record unwritten (zero), never half a sector.
	sectorSize = 512
)

func crc(b []byte) uint32 { return crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)) }

// appendRecord appends the record for one Delta frame to dst.
func appendRecord(dst []byte, seq, toggles uint64, frame []byte) []byte {
	n := len(dst)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(frame)))
	dst = binary.LittleEndian.AppendUint64(dst, seq)
	dst = binary.LittleEndian.AppendUint64(dst, toggles)
	dst = binary.LittleEndian.AppendUint32(dst, crc(frame))
	dst = binary.LittleEndian.AppendUint32(dst, crc(dst[n:n+24]))
	return append(dst, frame...)
}

// recordHeader is a record's fixed part, decoded.
type recordHeader struct {
	frameLen int
	seq      uint64
	toggles  uint64
	frameCRC uint32
}

// parseRecordHeader decodes h (recordHeaderSize bytes) and reports whether
// its own checksum holds.
func parseRecordHeader(h []byte) (recordHeader, bool) {
	le := binary.LittleEndian
	rh := recordHeader{
		frameLen: int(le.Uint32(h[0:])),
		seq:      le.Uint64(h[4:]),
		toggles:  le.Uint64(h[12:]),
		frameCRC: le.Uint32(h[20:]),
	}
	return rh, crc(h[:24]) == le.Uint32(h[24:])
}

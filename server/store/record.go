package store

import (
	"encoding/binary"
	"hash/crc32"

	"checkgrid/protocol"
)

// Record and segment layouts (see doc.go for the tables).
const (
	// recordHeaderSize is a version-2 record's fixed part: it carries the
	// commit time that history is searched by.
	recordHeaderSize = 36
	// recordHeaderSizeV1 is the fixed part of a record in a version-1
	// segment (no segment header, no commit time): still read, never
	// written.
	recordHeaderSizeV1 = 28
	// segmentMagic opens every version-2 segment. Read as a version-1
	// record's little-endian length, "CKGR" is 0x52474B43, far above
	// maxRecordFrame, so the two versions cannot be mistaken.
	segmentMagic      = "CKGRIDWL"
	segmentVersion    = 2
	segmentHeaderSize = 16
	// maxRecordFrame bounds a record's Delta frame before anything is
	// allocated for it: no frame the server sends is larger.
	maxRecordFrame = protocol.MaxServerMessage
	// sectorSize is the unit a disk writes atomically; a crash mid-write can
	// leave whole sectors of a record unwritten (zero), never half a sector.
	sectorSize = 512
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func crc(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// appendSegmentHeader appends a version-2 segment's header to dst.
func appendSegmentHeader(dst []byte) []byte {
	n := len(dst)
	dst = append(dst, segmentMagic...)
	dst = binary.LittleEndian.AppendUint16(dst, segmentVersion)
	dst = binary.LittleEndian.AppendUint16(dst, 0)
	return binary.LittleEndian.AppendUint32(dst, crc(dst[n:n+12]))
}

// appendRecord appends the version-2 record for one Delta frame committed
// at unixNano to dst.
func appendRecord(dst []byte, seq, toggles uint64, unixNano int64, frame []byte) []byte {
	n := len(dst)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(frame)))
	dst = binary.LittleEndian.AppendUint64(dst, seq)
	dst = binary.LittleEndian.AppendUint64(dst, toggles)
	dst = binary.LittleEndian.AppendUint64(dst, uint64(unixNano))
	dst = binary.LittleEndian.AppendUint32(dst, crc(frame))
	dst = binary.LittleEndian.AppendUint32(dst, crc(dst[n:n+32]))
	return append(dst, frame...)
}

// recordHeader is a record's fixed part, decoded.
type recordHeader struct {
	frameLen int
	seq      uint64
	toggles  uint64
	time     int64 // unix nanoseconds; 0 in a version-1 record (unknown)
	frameCRC uint32
}

// parseRecordHeader decodes h (recordHeaderSize bytes, or
// recordHeaderSizeV1 for version 1) and reports whether its own checksum
// holds.
func parseRecordHeader(h []byte, version int) (recordHeader, bool) {
	le := binary.LittleEndian
	rh := recordHeader{
		frameLen: int(le.Uint32(h[0:])),
		seq:      le.Uint64(h[4:]),
		toggles:  le.Uint64(h[12:]),
	}
	if version == 1 {
		rh.frameCRC = le.Uint32(h[20:])
		return rh, crc(h[:24]) == le.Uint32(h[24:])
	}
	rh.time = int64(le.Uint64(h[20:]))
	rh.frameCRC = le.Uint32(h[28:])
	return rh, crc(h[:32]) == le.Uint32(h[32:])
}

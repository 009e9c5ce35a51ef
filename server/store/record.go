package store

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"

	"checkgrid/protocol"
)

// Record and segment layouts (see doc.go for the tables).
const (
	// recordHeaderSizeV2 is a version-2 record's fixed part (commit time,
	// no segment base): still read, never written.
	recordHeaderSizeV2 = 36
	// recordHeaderSizeV1 is the fixed part of a record in a version-1
	// segment (no segment header, no commit time): still read, never
	// written.
	recordHeaderSizeV1 = 28
	// segmentMagic opens every version-2 and -3 segment. Read as a
	// version-1 record's little-endian length, "CKGR" is 0x52474B43, far
	// above maxRecordFrame, so the versions cannot be mistaken.
	segmentMagic = "CKGRIDWL"
	// segmentVersion is what this build writes: version 3, compact
	// records coded against the previous one (issue 21's ≤ 2 B a change).
	segmentVersion      = 3
	segmentVersionV2    = 2
	segmentHeaderSizeV2 = 16
	// segmentHeaderSize: version 3's header adds the record before the
	// segment's first (seq, toggles, time), which its records are coded
	// against, so every segment reads alone.
	segmentHeaderSize = 40
	// maxRecordFrame bounds a record's Delta frame before anything is
	// allocated for it: no frame the server sends is larger.
	maxRecordFrame = protocol.MaxServerMessage
	// maxRecordBody bounds a version-3 record's body: a frame's payload
	// (the body never takes the longer of its two codings) plus the body's
	// varints and kind, each at most 10 bytes.
	maxRecordBody = maxRecordFrame + 32
	// recordLenCheckSize is the check of a version-3 record's length: 16
	// bits, so that a damaged length is found (and reported as corruption,
	// not read as a torn tail) but for about one in 65,536 damages;
	// TestRecordLengthCheck shows every single flipped bit is found.
	recordLenCheckSize = 2
	// recordCRCSize is the checksum after a version-3 record's body.
	recordCRCSize = 4
	// sectorSize is the unit a disk writes atomically; a crash mid-write can
	// leave whole sectors of a record unwritten (zero), never half a sector.
	sectorSize = 512
)

// bodyKind says how a version-3 record's body holds the Delta's boxes.
type bodyKind byte

const (
	// kindPacked: the count k, then the frame's payload as broadcast (the
	// protocol's packed index set). Any frame can be stored this way.
	kindPacked bodyKind = 0
	// kindRuns: the run-coded set; the frame is protocol.AppendDelta of
	// its boxes, used only when that gives the broadcast bytes exactly.
	kindRuns bodyKind = 1
)

func (k bodyKind) String() string {
	switch k {
	case kindPacked:
		return "packed"
	case kindRuns:
		return "runs"
	}
	return fmt.Sprintf("bodyKind(%d)", byte(k))
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func crc(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// prevRecord is the record a version-3 record is coded against: the one
// before it, or for a segment's first, the one its header names.
type prevRecord struct {
	seq, toggles uint64
	time         int64
}

// appendSegmentHeader appends a version-3 segment's header to dst: the
// segment's first record follows prev.
func appendSegmentHeader(dst []byte, prev prevRecord) []byte {
	n := len(dst)
	dst = append(dst, segmentMagic...)
	dst = binary.LittleEndian.AppendUint16(dst, segmentVersion)
	dst = binary.LittleEndian.AppendUint16(dst, 0)
	dst = binary.LittleEndian.AppendUint64(dst, prev.seq+1)
	dst = binary.LittleEndian.AppendUint64(dst, prev.toggles)
	dst = binary.LittleEndian.AppendUint64(dst, uint64(prev.time))
	return binary.LittleEndian.AppendUint32(dst, crc(dst[n:n+36]))
}

// recordEncoder codes version-3 records, reusing its buffers.
type recordEncoder struct {
	idx   []uint32
	runs  []byte
	check []byte
}

// appendRecord appends the version-3 record of frame (a Delta frame that
// protocol.DecodeDelta accepts, for seq prev.seq+1) committed at unixNano
// (≥ prev.time) with toggles in all after it.
func (e *recordEncoder) appendRecord(dst []byte, prev prevRecord, toggles uint64, unixNano int64, frame []byte) []byte {
	seq := prev.seq + 1
	k := int64(binary.LittleEndian.Uint32(frame[9:]))
	payload := frame[protocol.DeltaHeaderSize:]
	kind := kindPacked
	// Runs only if they are shorter and give the broadcast bytes back.
	if d, err := protocol.DecodeDelta(frame); err == nil {
		if e.idx, err = d.AppendIndexes(e.idx[:0]); err == nil {
			e.runs = appendRunSet(e.runs[:0], e.idx)
			packed := len(payload) + len(binary.AppendUvarint(e.check[:0], uint64(k)))
			if len(e.runs) < packed {
				e.check, err = protocol.AppendDelta(e.check[:0], seq, e.idx)
				if err == nil && string(e.check) == string(frame) {
					kind = kindRuns
				}
			}
		}
	}
	// The body: time and toggles as deltas, the kind, the boxes.
	var body [3 * binary.MaxVarintLen64]byte
	b := binary.AppendUvarint(body[:0], uint64(unixNano-prev.time))
	b = binary.AppendUvarint(b, toggles-prev.toggles)
	b = append(b, byte(kind))
	if kind == kindPacked {
		b = binary.AppendUvarint(b, uint64(k))
	}
	data := payload
	if kind == kindRuns {
		data = e.runs
	}
	start := len(dst)
	dst = binary.AppendUvarint(dst, uint64(len(b)+len(data)))
	dst = binary.LittleEndian.AppendUint16(dst, lenCheck(dst[start:]))
	dst = append(dst, b...)
	dst = append(dst, data...)
	return binary.LittleEndian.AppendUint32(dst, recordCRC(seq, dst[start:]))
}

// lenCheck is the 16-bit check of a version-3 record's length varint.
func lenCheck(varint []byte) uint16 { return uint16(crc(varint)) }

// recordCRC is a version-3 record's checksum: CRC32C of its seq (8 bytes,
// little-endian) and then its bytes up to the checksum, so a record read
// in another's place fails it.
func recordCRC(seq uint64, rec []byte) uint32 {
	var s [8]byte
	binary.LittleEndian.PutUint64(s[:], seq)
	return crc32.Update(crc(s[:]), castagnoli, rec)
}

// recordDecoder turns version-3 record bodies back into Delta frames,
// byte for byte as broadcast, reusing its buffers.
type recordDecoder struct {
	idx   []uint32
	frame []byte
}

// decodeStep decodes the start of the body of the record after prev: that
// record with its time and toggles (no frame), and the rest of the body.
func decodeStep(prev prevRecord, body []byte) (record, []byte, error) {
	r := record{seq: prev.seq + 1}
	dt, n := binary.Uvarint(body)
	if n <= 0 || dt > uint64(1<<63-1-max(prev.time, 0)) {
		return r, nil, fmt.Errorf("bad time delta")
	}
	body = body[n:]
	r.time = prev.time + int64(dt)
	dtog, n := binary.Uvarint(body)
	if n <= 0 || len(body) == n {
		return r, nil, fmt.Errorf("bad toggles delta")
	}
	r.toggles = prev.toggles + dtog
	if r.toggles < prev.toggles {
		return r, nil, fmt.Errorf("toggles overflow past the previous record's %d", prev.toggles)
	}
	return r, body[n:], nil
}

// decodeBody decodes the body of the record after prev (checksums already
// checked) into that record: its frame (kind 0, aliasing the decoder's
// buffer) or its boxes (kind 1, likewise; the frame is rebuilt only if
// asked for, by record.deltaFrame).
func (d *recordDecoder) decodeBody(prev prevRecord, body []byte) (record, error) {
	r, body, err := decodeStep(prev, body)
	if err != nil {
		return r, err
	}
	kind := bodyKind(body[0])
	body = body[1:]
	switch kind {
	case kindPacked:
		k, n := binary.Uvarint(body)
		if n <= 0 || k == 0 || k > protocol.Boxes {
			return r, fmt.Errorf("packed body: bad box count")
		}
		body = body[n:]
		d.frame = append(d.frame[:0], byte(protocol.TypeDelta))
		d.frame = binary.LittleEndian.AppendUint64(d.frame, r.seq)
		d.frame = binary.LittleEndian.AppendUint32(d.frame, uint32(k))
		d.frame = append(d.frame, body...)
		if _, err := protocol.DecodeDelta(d.frame); err != nil {
			return r, fmt.Errorf("packed body: %w", err)
		}
		r.frame = d.frame
	case kindRuns:
		if d.idx, err = readRunSet(body, d.idx[:0]); err != nil {
			return r, err
		}
		r.boxes, r.rebuild = d.idx, &d.frame
	default:
		return r, fmt.Errorf("unknown body kind %d", byte(kind))
	}
	return r, nil
}

// recordHeader is a version-1 or -2 record's fixed part, decoded.
type recordHeader struct {
	frameLen int
	seq      uint64
	toggles  uint64
	time     int64 // unix nanoseconds; 0 in a version-1 record (unknown)
	frameCRC uint32
}

// parseRecordHeader decodes h (recordHeaderSizeV2 bytes, or
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

package store

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"checkgrid/protocol"
	"checkgrid/server/atomicfile"
)

// File names. Sequence numbers are 16 hex digits so that lexical order is
// numeric order in a directory listing.
const (
	segmentPrefix = "wal-"
	segmentSuffix = ".log"
	tmpSuffix     = atomicfile.TempSuffix
	// scanBuffer is the read size while replaying: large enough that a
	// segment replays in few syscalls, small enough to not matter in memory.
	scanBuffer = 1 << 20
)

func segmentName(first uint64) string {
	return fmt.Sprintf("%s%016x%s", segmentPrefix, first, segmentSuffix)
}

// parseSeqName returns the seq in a name like prefix+16 hex digits+suffix.
func parseSeqName(name, prefix, suffix string) (uint64, bool) {
	s, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return 0, false
	}
	s, ok = strings.CutSuffix(s, suffix)
	if !ok || len(s) != 16 {
		return 0, false
	}
	v, err := strconv.ParseUint(s, 16, 64)
	return v, err == nil
}

// listSeqFiles returns the seqs of files named prefix+seq+suffix, ascending.
func listSeqFiles(names []string, prefix, suffix string) []uint64 {
	var seqs []uint64
	for _, n := range names {
		if v, ok := parseSeqName(n, prefix, suffix); ok {
			seqs = append(seqs, v)
		}
	}
	slices.Sort(seqs)
	return seqs
}

// record is one valid log record handed to a scan's visitor. frame and
// boxes alias the scanner's buffers and are valid only during the call.
type record struct {
	seq, toggles uint64
	time         int64 // unix nanoseconds of the commit; 0 if unknown (version 1)
	// frame is the Delta frame as broadcast; nil for a run-coded record
	// (boxes set: deltaFrame rebuilds it) and for a version-3 record
	// before the scan's from (only checked, not decoded).
	frame   []byte
	boxes   []uint32 // a run-coded record's boxes, strictly increasing
	rebuild *[]byte  // where deltaFrame rebuilds a run-coded record's frame
}

// skipped reports whether the scan only checked r (before its from).
func (r record) skipped() bool { return r.frame == nil && r.boxes == nil }

// deltaFrame returns r's Delta frame, byte for byte as broadcast,
// rebuilding a run-coded record's (protocol.AppendDelta of its boxes,
// which the writer checked gives the broadcast bytes). Nil if skipped.
func (r record) deltaFrame() []byte {
	if r.frame != nil || r.boxes == nil {
		return r.frame
	}
	// The boxes are readRunSet's: strictly increasing, inside the grid,
	// non-empty, so AppendDelta cannot fail.
	f, err := protocol.AppendDelta((*r.rebuild)[:0], r.seq, r.boxes)
	if err != nil {
		panic(fmt.Sprintf("store: rebuilding record %d: %v", r.seq, err))
	}
	*r.rebuild = f
	return f
}

// scanResult says where a segment's valid records end.
type scanResult struct {
	end     int64 // offset after the last valid record
	size    int64 // file size found
	torn    string
	version int // 1 (no segment header), 2 or 3; segmentVersion for an empty segment
	// headerCut: the torn part is only a segment header, written and
	// fsynced before any record: no record can have been lost.
	headerCut bool
}

// segmentStart reads the first bytes of segment first (of size bytes) and
// says its version, where its records start and, for version 3, the
// record before its first. A final segment shorter than its header whose
// bytes are a prefix of a version-2 or -3 header, or zeros, is an empty
// segment whose header write was cut: start 0, no records, torn set.
func segmentStart(f *os.File, name string, first uint64, size int64, final bool) (version int, start int64, prev prevRecord, torn string, err error) {
	if size == 0 {
		return segmentVersion, 0, prev, "", nil
	}
	var h [segmentHeaderSize]byte
	n := min(size, segmentHeaderSize)
	if _, err := f.ReadAt(h[:n], 0); err != nil {
		return 0, 0, prev, "", fmt.Errorf("store: read %s: %w", name, err)
	}
	le := binary.LittleEndian
	// need: the header's size for the version its bytes so far name.
	need := int64(segmentHeaderSizeV2)
	if n >= 10 && le.Uint16(h[8:]) == segmentVersion {
		need = segmentHeaderSize
	}
	if n < need || string(h[:min(n, 8)]) != segmentMagic[:min(n, 8)] {
		zero := isZero(h[:n])
		magic := string(h[:min(n, 8)]) == segmentMagic[:min(n, 8)]
		if n < need && (zero || magic && headerPrefix(h[:n])) {
			if final {
				return segmentVersion, 0, prev, fmt.Sprintf("segment header cut (%d of %d bytes)", n, need), nil
			}
			if !zero {
				return 0, 0, prev, "", corrupt(name, 0, "segment header cut (%d of %d bytes) in a non-final segment", n, need)
			}
		}
		if magic && n >= 8 && n < need {
			return 0, 0, prev, "", corrupt(name, 0, "segment header cut (%d of %d bytes)", n, need)
		}
		// Version 1, or zeros a crash left (cut like any zero tail).
		return 1, 0, prev, "", nil
	}
	if r := le.Uint16(h[10:]); r != 0 && crcHolds(h[:], need) {
		return 0, 0, prev, "", corrupt(name, 10, "segment header reserved field is %d", r)
	}
	switch v := le.Uint16(h[8:]); v {
	case segmentVersionV2:
		if !crcHolds(h[:], need) {
			return 0, 0, prev, "", corrupt(name, 0, "segment header checksum mismatch")
		}
		return segmentVersionV2, segmentHeaderSizeV2, prev, "", nil
	case segmentVersion:
		if !crcHolds(h[:], need) {
			return 0, 0, prev, "", corrupt(name, 0, "segment header checksum mismatch")
		}
		prev = prevRecord{seq: le.Uint64(h[12:]) - 1, toggles: le.Uint64(h[20:]), time: int64(le.Uint64(h[28:]))}
		if prev.seq+1 != first {
			return 0, 0, prev, "", corrupt(name, 12, "segment header names first seq %d, the file name %d", prev.seq+1, first)
		}
		if prev.time < 0 {
			return 0, 0, prev, "", corrupt(name, 28, "segment header time %d is negative", prev.time)
		}
		return segmentVersion, segmentHeaderSize, prev, "", nil
	default:
		if !crcHolds(h[:], segmentHeaderSizeV2) && !crcHolds(h[:], segmentHeaderSize) {
			return 0, 0, prev, "", corrupt(name, 0, "segment header checksum mismatch")
		}
		return 0, 0, prev, "", fmt.Errorf("%w: segment %s has version %d, this build reads 1 to %d", ErrVersion, name, v, segmentVersion)
	}
}

// crcHolds reports whether h's first size bytes are a segment header of
// that size whose checksum (its last 4 bytes) holds.
func crcHolds(h []byte, size int64) bool {
	if int64(len(h)) < size {
		return false
	}
	return crc(h[:size-4]) == binary.LittleEndian.Uint32(h[size-4:size])
}

// headerPrefix reports whether b (starting with the magic, or a prefix of
// it) could be the start of a version-2 or -3 header: the version, if
// there, is 2 or 3 and the reserved field 0; a version-2 header's fixed
// bytes match.
func headerPrefix(b []byte) bool {
	v2 := appendSegmentHeaderV2(nil)
	if string(b) == string(v2[:min(len(b), len(v2))]) {
		return true
	}
	var v3 [12]byte
	copy(v3[:], segmentMagic)
	binary.LittleEndian.PutUint16(v3[8:], segmentVersion)
	return string(b[:min(len(b), 12)]) == string(v3[:min(len(b), 12)])
}

// appendSegmentHeaderV2 appends a version-2 segment's header, for reading
// one (its bytes are fixed) and for tests that write old directories.
func appendSegmentHeaderV2(dst []byte) []byte {
	n := len(dst)
	dst = append(dst, segmentMagic...)
	dst = binary.LittleEndian.AppendUint16(dst, segmentVersionV2)
	dst = binary.LittleEndian.AppendUint16(dst, 0)
	return binary.LittleEndian.AppendUint32(dst, crc(dst[n:n+12]))
}

func isZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

// segmentScan is one pass over a segment's records.
type segmentScan struct {
	name     string
	br       *bufio.Reader
	size     int64
	final    bool
	zeroFrom int64 // the file is all zero from here (final segment only)
	from     uint64
	visit    func(off int64, r record) error
}

// tornAt: the record at [off, end) failed a check, and the file is all
// zero from a sector boundary inside it to the end: the write was cut.
func (sc *segmentScan) tornAt(off, end int64) bool {
	s := max(off, sc.zeroFrom)
	s = (s + sectorSize - 1) / sectorSize * sectorSize
	return sc.final && s < end
}

// ends notes in res that the scan has read up to off, and reports whether
// it stops there: at the segment's end, or where the final segment's zero
// tail starts (a torn write, said in res). Both record versions' loops
// begin with it.
func (sc *segmentScan) ends(res *scanResult, off int64) bool {
	res.end = off
	if off == sc.size {
		return true
	}
	if sc.final && off >= sc.zeroFrom {
		res.torn = fmt.Sprintf("%d zero bytes after the last record", sc.size-off)
		return true
	}
	return false
}

// scanSegment reads every record of one segment in order, checking each
// and calling visit for it. In the final segment a torn tail (see doc.go) is
// reported in the result, not as an error; anywhere else, and for any record
// that is complete but wrong, it returns a *CorruptError. Version-3
// records before seq from are only checked (checksums, time, toggles) and
// visited skipped, so that reading from a keyframe in the middle of a
// segment does not decode the records before it.
func scanSegment(path string, final bool, from uint64, visit func(off int64, r record) error) (scanResult, error) {
	name := filepath.Base(path)
	first, ok := parseSeqName(name, segmentPrefix, segmentSuffix)
	if !ok {
		return scanResult{}, fmt.Errorf("store: %s is not a segment name", name)
	}
	f, err := os.Open(path)
	if err != nil {
		return scanResult{}, fmt.Errorf("store: open segment: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return scanResult{}, fmt.Errorf("store: stat segment: %w", err)
	}
	size := fi.Size()
	zeroFrom := size
	if final {
		if zeroFrom, err = zeroTailStart(f, size); err != nil {
			return scanResult{}, fmt.Errorf("store: read segment %s: %w", name, err)
		}
	}
	res := scanResult{size: size}
	version, off, prev, torn, err := segmentStart(f, name, first, size, final)
	if err != nil {
		return res, err
	}
	res.version = version
	if torn != "" {
		res.torn, res.headerCut = torn, true
		return res, nil
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return res, fmt.Errorf("store: seek %s: %w", name, err)
	}
	sc := &segmentScan{name: name, br: bufio.NewReaderSize(f, scanBuffer), size: size, final: final, zeroFrom: zeroFrom, from: from, visit: visit}
	if version == segmentVersion {
		err = sc.compact(&res, off, prev)
	} else {
		err = sc.fixed(&res, off, version)
	}
	var ce *CorruptError
	if errors.As(err, &ce) {
		ce.File = name
	}
	return res, err
}

// fixed scans version-1 and -2 records (fixed headers, frames verbatim).
func (sc *segmentScan) fixed(res *scanResult, off int64, version int) error {
	name, size, final := sc.name, sc.size, sc.final
	hdrSize := int64(recordHeaderSizeV2)
	if version == 1 {
		hdrSize = recordHeaderSizeV1
	}
	var hbuf [recordHeaderSizeV2]byte
	h := hbuf[:hdrSize]
	var frame []byte
	for {
		if sc.ends(res, off) {
			return nil
		}
		if size-off < hdrSize {
			if final {
				res.torn = fmt.Sprintf("incomplete record header (%d of %d bytes)", size-off, hdrSize)
				return nil
			}
			return corrupt(name, off, "incomplete record header (%d of %d bytes) in a non-final segment", size-off, hdrSize)
		}
		if _, err := io.ReadFull(sc.br, h); err != nil {
			return fmt.Errorf("store: read %s at offset %d: %w", name, off, err)
		}
		rh, ok := parseRecordHeader(h, version)
		if !ok {
			if sc.tornAt(off, off+hdrSize) {
				res.torn = "record header cut by a zero-filled sector"
				return nil
			}
			return corrupt(name, off, "record header checksum mismatch")
		}
		if rh.frameLen < protocol.DeltaHeaderSize || rh.frameLen > maxRecordFrame {
			return corrupt(name, off, "record frame length %d outside %d..%d", rh.frameLen, protocol.DeltaHeaderSize, maxRecordFrame)
		}
		if rh.time < 0 {
			return corrupt(name, off, "record time %d is negative", rh.time)
		}
		end := off + hdrSize + int64(rh.frameLen)
		if end > size {
			if final {
				res.torn = fmt.Sprintf("incomplete record (%d of %d bytes)", size-off, end-off)
				return nil
			}
			return corrupt(name, off, "record of %d bytes extends past the end of a non-final segment", end-off)
		}
		if cap(frame) < rh.frameLen {
			frame = make([]byte, rh.frameLen) // bounded by maxRecordFrame above
		}
		frame = frame[:rh.frameLen]
		if _, err := io.ReadFull(sc.br, frame); err != nil {
			return fmt.Errorf("store: read %s at offset %d: %w", name, off, err)
		}
		if crc(frame) != rh.frameCRC {
			if sc.tornAt(off, end) {
				res.torn = "record cut by a zero-filled sector"
				return nil
			}
			return corrupt(name, off, "record checksum mismatch (seq %d)", rh.seq)
		}
		if err := sc.visit(off, record{seq: rh.seq, toggles: rh.toggles, time: rh.time, frame: frame}); err != nil {
			return err
		}
		off = end
	}
}

// maxLenVarint: a version-3 record's length (≤ maxRecordBody < 2^21)
// takes at most 3 varint bytes.
const maxLenVarint = 3

// compact scans version-3 records, each coded against the one before
// (the first against the segment header's), turning each back into the
// Delta frame as broadcast.
func (sc *segmentScan) compact(res *scanResult, off int64, prev prevRecord) error {
	name, size, final := sc.name, sc.size, sc.final
	var dec recordDecoder
	var buf []byte
	for {
		if sc.ends(res, off) {
			return nil
		}
		// The header: the body's length as a varint, then its 16-bit check.
		p, err := sc.br.Peek(int(min(size-off, maxLenVarint+recordLenCheckSize)))
		if err != nil {
			return fmt.Errorf("store: read %s at offset %d: %w", name, off, err)
		}
		n, w := binary.Uvarint(p[:min(len(p), maxLenVarint)])
		hdrEnd := off + int64(w) + recordLenCheckSize
		switch {
		case w == 0 && len(p) < maxLenVarint, w > 0 && hdrEnd > size:
			if final {
				res.torn = fmt.Sprintf("incomplete record header (%d bytes)", size-off)
				return nil
			}
			return corrupt(name, off, "incomplete record header (%d bytes) in a non-final segment", size-off)
		case w <= 0 || binary.LittleEndian.Uint16(p[w:]) != lenCheck(p[:w]):
			if sc.tornAt(off, off+maxLenVarint+recordLenCheckSize) {
				res.torn = "record header cut by a zero-filled sector"
				return nil
			}
			return corrupt(name, off, "record length check mismatch")
		case n < 3 || n > maxRecordBody:
			return corrupt(name, off, "record body length %d outside 3..%d", n, maxRecordBody)
		}
		end := hdrEnd + int64(n) + recordCRCSize
		if end > size {
			if final {
				res.torn = fmt.Sprintf("incomplete record (%d of %d bytes)", size-off, end-off)
				return nil
			}
			return corrupt(name, off, "record of %d bytes extends past the end of a non-final segment", end-off)
		}
		buf = slices.Grow(buf[:0], int(end-off))[:end-off] // bounded by maxRecordBody above
		if _, err := io.ReadFull(sc.br, buf); err != nil {
			return fmt.Errorf("store: read %s at offset %d: %w", name, off, err)
		}
		seq := prev.seq + 1
		body := buf[hdrEnd-off : len(buf)-recordCRCSize]
		if recordCRC(seq, buf[:len(buf)-recordCRCSize]) != binary.LittleEndian.Uint32(buf[len(buf)-recordCRCSize:]) {
			if sc.tornAt(off, end) {
				res.torn = "record cut by a zero-filled sector"
				return nil
			}
			return corrupt(name, off, "record checksum mismatch (seq %d)", seq)
		}
		var r record
		if seq < sc.from {
			r, _, err = decodeStep(prev, body)
		} else {
			r, err = dec.decodeBody(prev, body)
		}
		if err != nil {
			return corrupt(name, off, "record seq %d: %v", seq, err)
		}
		if err := sc.visit(off, r); err != nil {
			return err
		}
		prev = prevRecord{seq: r.seq, toggles: r.toggles, time: r.time}
		off = end
	}
}

// zeroTailStart returns the offset where the run of zero bytes that ends
// the file begins (size if the last byte is not zero).
func zeroTailStart(f *os.File, size int64) (int64, error) {
	buf := make([]byte, 64<<10)
	end := size
	for end > 0 {
		n := min(int64(len(buf)), end)
		b := buf[:n]
		if _, err := f.ReadAt(b, end-n); err != nil {
			return 0, err
		}
		for i := len(b) - 1; i >= 0; i-- {
			if b[i] != 0 {
				return end - n + int64(i) + 1, nil
			}
		}
		end -= n
	}
	return 0, nil
}

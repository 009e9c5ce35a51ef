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

// record is one valid log record handed to a scan's visitor. frame aliases
// the scanner's buffer and is valid only during the call.
type record struct {
	seq, toggles uint64
	time         int64 // unix nanoseconds of the commit; 0 if unknown (version 1)
	frame        []byte
}

// scanResult says where a segment's valid records end.
type scanResult struct {
	end     int64 // offset after the last valid record
	size    int64 // file size found
	torn    string
	version int // 1 (no segment header) or 2; 2 for an empty segment
	// headerCut: the torn part is only a segment header, written and
	// fsynced before any record: no record can have been lost.
	headerCut bool
}

// segmentStart reads the first bytes of a segment of size bytes and says
// its version and where its records start. A final segment shorter than a
// header whose bytes are a prefix of one, or zeros, is an empty version-2
// segment whose header write was cut: start 0, no records, torn set.
func segmentStart(f *os.File, name string, size int64, final bool) (version int, start int64, torn string, err error) {
	if size == 0 {
		return segmentVersion, 0, "", nil
	}
	var h [segmentHeaderSize]byte
	n := min(size, segmentHeaderSize)
	if _, err := f.ReadAt(h[:n], 0); err != nil {
		return 0, 0, "", fmt.Errorf("store: read %s: %w", name, err)
	}
	want := appendSegmentHeader(nil)
	if n < segmentHeaderSize {
		zero := isZero(h[:n])
		if final && (zero || string(h[:n]) == string(want[:n])) {
			return segmentVersion, 0, fmt.Sprintf("segment header cut (%d of %d bytes)", n, segmentHeaderSize), nil
		}
		if string(h[:min(n, 8)]) == segmentMagic[:min(n, 8)] && !zero {
			return 0, 0, "", corrupt(name, 0, "segment header cut (%d of %d bytes) in a non-final segment", n, segmentHeaderSize)
		}
		return 1, 0, "", nil
	}
	if string(h[:8]) != segmentMagic {
		// Version 1, or zeros a crash left (cut like any zero tail).
		return 1, 0, "", nil
	}
	le := binary.LittleEndian
	if crc(h[:12]) != le.Uint32(h[12:]) {
		return 0, 0, "", corrupt(name, 0, "segment header checksum mismatch")
	}
	if v := le.Uint16(h[8:]); v != segmentVersion {
		return 0, 0, "", fmt.Errorf("%w: segment %s has version %d, this build reads 1 and %d", ErrVersion, name, v, segmentVersion)
	}
	if r := le.Uint16(h[10:]); r != 0 {
		return 0, 0, "", corrupt(name, 10, "segment header reserved field is %d", r)
	}
	return segmentVersion, segmentHeaderSize, "", nil
}

func isZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

// scanSegment reads every record of one segment in order, checking each
// and calling visit for it. In the final segment a torn tail (see doc.go) is
// reported in the result, not as an error; anywhere else, and for any record
// that is complete but wrong, it returns a *CorruptError.
func scanSegment(path string, final bool, visit func(off int64, r record) error) (scanResult, error) {
	name := filepath.Base(path)
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
	// tornAt: the record at [off, end) failed a check, and the file is all
	// zero from a sector boundary inside it to the end: the write was cut.
	tornAt := func(off, end int64) bool {
		s := max(off, zeroFrom)
		s = (s + sectorSize - 1) / sectorSize * sectorSize
		return final && s < end
	}
	res := scanResult{size: size}
	version, off, torn, err := segmentStart(f, name, size, final)
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
	br := bufio.NewReaderSize(f, scanBuffer)
	hdrSize := int64(recordHeaderSize)
	if version == 1 {
		hdrSize = recordHeaderSizeV1
	}
	var hbuf [recordHeaderSize]byte
	h := hbuf[:hdrSize]
	var frame []byte
	for {
		res.end = off
		if off == size {
			return res, nil
		}
		if final && off >= zeroFrom {
			res.torn = fmt.Sprintf("%d zero bytes after the last record", size-off)
			return res, nil
		}
		if size-off < hdrSize {
			if final {
				res.torn = fmt.Sprintf("incomplete record header (%d of %d bytes)", size-off, hdrSize)
				return res, nil
			}
			return res, corrupt(name, off, "incomplete record header (%d of %d bytes) in a non-final segment", size-off, hdrSize)
		}
		if _, err := io.ReadFull(br, h); err != nil {
			return res, fmt.Errorf("store: read %s at offset %d: %w", name, off, err)
		}
		rh, ok := parseRecordHeader(h, version)
		if !ok {
			if tornAt(off, off+hdrSize) {
				res.torn = "record header cut by a zero-filled sector"
				return res, nil
			}
			return res, corrupt(name, off, "record header checksum mismatch")
		}
		if rh.frameLen < protocol.DeltaHeaderSize || rh.frameLen > maxRecordFrame {
			return res, corrupt(name, off, "record frame length %d outside %d..%d", rh.frameLen, protocol.DeltaHeaderSize, maxRecordFrame)
		}
		if rh.time < 0 {
			return res, corrupt(name, off, "record time %d is negative", rh.time)
		}
		end := off + hdrSize + int64(rh.frameLen)
		if end > size {
			if final {
				res.torn = fmt.Sprintf("incomplete record (%d of %d bytes)", size-off, end-off)
				return res, nil
			}
			return res, corrupt(name, off, "record of %d bytes extends past the end of a non-final segment", end-off)
		}
		if cap(frame) < rh.frameLen {
			frame = make([]byte, rh.frameLen) // bounded by maxRecordFrame above
		}
		frame = frame[:rh.frameLen]
		if _, err := io.ReadFull(br, frame); err != nil {
			return res, fmt.Errorf("store: read %s at offset %d: %w", name, off, err)
		}
		if crc(frame) != rh.frameCRC {
			if tornAt(off, end) {
				res.torn = "record cut by a zero-filled sector"
				return res, nil
			}
			return res, corrupt(name, off, "record checksum mismatch (seq %d)", rh.seq)
		}
		if err := visit(off, record{seq: rh.seq, toggles: rh.toggles, time: rh.time, frame: frame}); err != nil {
			var ce *CorruptError
			if errors.As(err, &ce) {
				ce.File = name
			}
			return res, err
		}
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

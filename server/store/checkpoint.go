package store

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"

	"checkgrid/protocol"
	"checkgrid/server/atomicfile"
)

// Checkpoint file layout (see doc.go for the tables).
const (
	checkpointPrefix = "ckpt-"
	checkpointSuffix = ".ckpt"
	checkpointMagic  = "CKGRIDCP"
	// checkpointVersion is what this build writes: version 2 adds the
	// commit time and the hash chain, which make a checkpoint a keyframe of
	// history. Version 1 is still read.
	checkpointVersion  = 2
	checkpointHeader   = 84
	checkpointCRCField = 80
	checkpointLenField = 76
	checkpointHeaderV1 = 44
	// maxCheckpointFile bounds what is read before any check: the header plus
	// the largest Snapshot frame the protocol allows.
	maxCheckpointFile = checkpointHeader + protocol.MaxServerMessage
)

func checkpointName(seq uint64) string {
	return fmt.Sprintf("%s%016x%s", checkpointPrefix, seq, checkpointSuffix)
}

// keyframe is a checkpoint as read: the grid at a seq, plus what history
// needs of it.
type keyframe struct {
	State
	time       int64 // unix nanoseconds of record seq; 0 if unknown
	chain      Chain
	chainKnown bool // false for version 1, which has no chain
}

// encodeCheckpoint appends the checkpoint file for st, committed at
// unixNano with chain value c, to dst.
func encodeCheckpoint(dst []byte, st *State, unixNano int64, c Chain) []byte {
	le := binary.LittleEndian
	n := len(dst)
	dst = append(dst, checkpointMagic...)
	dst = le.AppendUint16(dst, checkpointVersion)
	dst = le.AppendUint16(dst, 0)
	dst = le.AppendUint64(dst, st.Epoch)
	dst = le.AppendUint64(dst, st.Seq)
	dst = le.AppendUint64(dst, st.Toggles)
	dst = le.AppendUint64(dst, uint64(unixNano))
	dst = append(dst, c[:]...)
	dst = le.AppendUint32(dst, 0) // snapshot length, filled below
	dst = le.AppendUint32(dst, 0) // CRC, filled below
	dst = protocol.AppendSnapshot(dst, st.Epoch, st.Seq, &st.Grid)
	le.PutUint32(dst[n+checkpointLenField:], uint32(len(dst)-n-checkpointHeader))
	sum := crc32.Update(crc(dst[n:n+checkpointCRCField]), castagnoli, dst[n+checkpointHeader:])
	le.PutUint32(dst[n+checkpointCRCField:], sum)
	return dst
}

// readCheckpoint reads and fully checks the checkpoint at path into kf.
// Every failure is a *CorruptError (or wraps ErrVersion) naming the field's
// offset.
func readCheckpoint(path string, kf *keyframe) error {
	name := filepath.Base(path)
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("store: open checkpoint: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("store: stat checkpoint: %w", err)
	}
	if fi.Size() < checkpointHeaderV1 || fi.Size() > maxCheckpointFile {
		return corrupt(name, 0, "file of %d bytes, want %d..%d", fi.Size(), checkpointHeaderV1, maxCheckpointFile)
	}
	b := make([]byte, fi.Size()) // bounded above
	if _, err := io.ReadFull(f, b); err != nil {
		return fmt.Errorf("store: read checkpoint %s: %w", name, err)
	}
	return decodeCheckpoint(name, b, kf)
}

// decodeCheckpoint checks checkpoint file bytes b (named name) into kf.
func decodeCheckpoint(name string, b []byte, kf *keyframe) error {
	le := binary.LittleEndian
	if len(b) < checkpointHeaderV1 {
		return corrupt(name, 0, "file of %d bytes, want at least %d", len(b), checkpointHeaderV1)
	}
	if string(b[:8]) != checkpointMagic {
		return corrupt(name, 0, "bad magic %q", b[:8])
	}
	// The version is read before the checksum only to know where the
	// checksum is; it is trusted only after the checksum holds.
	hdr, lenField, crcField := checkpointHeader, checkpointLenField, checkpointCRCField
	v := le.Uint16(b[8:])
	if v == 1 {
		hdr, lenField, crcField = checkpointHeaderV1, 36, 40
	}
	if len(b) < hdr {
		return corrupt(name, 0, "file of %d bytes, want at least %d", len(b), hdr)
	}
	if n := int64(le.Uint32(b[lenField:])); n != int64(len(b)-hdr) {
		return corrupt(name, int64(lenField), "snapshot length %d, file holds %d", n, len(b)-hdr)
	}
	c := crc32.Update(crc(b[:crcField]), castagnoli, b[hdr:])
	if want := le.Uint32(b[crcField:]); c != want {
		return corrupt(name, int64(crcField), "checksum 0x%08x, computed 0x%08x", want, c)
	}
	if v != 1 && v != checkpointVersion {
		return fmt.Errorf("%w: %s has version %d, this build reads 1 and %d", ErrVersion, name, v, checkpointVersion)
	}
	if r := le.Uint16(b[10:]); r != 0 {
		return corrupt(name, 10, "reserved field is %d", r)
	}
	st := &kf.State
	st.Epoch, st.Seq, st.Toggles = le.Uint64(b[12:]), le.Uint64(b[20:]), le.Uint64(b[28:])
	kf.time, kf.chain, kf.chainKnown = 0, Chain{}, false
	if v == checkpointVersion {
		kf.time = int64(le.Uint64(b[36:]))
		copy(kf.chain[:], b[44:76])
		kf.chainKnown = true
		if kf.time < 0 {
			return corrupt(name, 36, "negative time %d", kf.time)
		}
	}
	if st.Epoch == 0 {
		return corrupt(name, 12, "epoch 0")
	}
	if want, ok := parseSeqName(name, checkpointPrefix, checkpointSuffix); ok && want != st.Seq {
		return corrupt(name, 20, "seq %d, file name says %d", st.Seq, want)
	}
	snap, err := protocol.DecodeSnapshot(b[hdr:])
	if err != nil {
		return corrupt(name, int64(hdr), "snapshot: %v", err)
	}
	if snap.Epoch != st.Epoch || snap.Seq != st.Seq {
		return corrupt(name, int64(hdr), "snapshot at epoch %d seq %d, header says epoch %d seq %d", snap.Epoch, snap.Seq, st.Epoch, st.Seq)
	}
	if err := snap.Bits(&st.Grid); err != nil {
		return corrupt(name, int64(hdr+protocol.SnapshotHeaderSize), "snapshot payload: %v", err)
	}
	return nil
}

// writeFileAtomic makes dir/name hold b or, on error, leaves it as it was:
// temp file, fsync, rename, fsync the directory.
func writeFileAtomic(dir, name string, b []byte) error {
	if err := atomicfile.Write(filepath.Join(dir, name), b, 0o644); err != nil {
		return fmt.Errorf("store: write %s: %w", name, err)
	}
	return nil
}

// syncDir makes the directory's entries (creations, renames) durable.
func syncDir(dir string) error { return atomicfile.SyncDir(dir) }

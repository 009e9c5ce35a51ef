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

// Checkpoint file layout (see doc.go for the table).
const (
	checkpointPrefix = "ckpt-"
	checkpointSuffix = ".ckpt"
	checkpointMagic  = "CKGRIDCP"
	// checkpointVersion changes whenever the checkpoint or record layout does.
	checkpointVersion  = 1
	checkpointHeader   = 44
	checkpointCRCField = 40
	// maxCheckpointFile bounds what is read before any check: the header plus
	// the largest Snapshot frame the protocol allows.
	maxCheckpointFile = checkpointHeader + protocol.MaxServerMessage
)

func checkpointName(seq uint64) string {
	return fmt.Sprintf("%s%016x%s", checkpointPrefix, seq, checkpointSuffix)
}

// encodeCheckpoint appends the checkpoint file for st to dst.
func encodeCheckpoint(dst []byte, st *State) []byte {
	le := binary.LittleEndian
	n := len(dst)
	dst = append(dst, checkpointMagic...)
	dst = le.AppendUint16(dst, checkpointVersion)
	dst = le.AppendUint16(dst, 0)
	dst = le.AppendUint64(dst, st.Epoch)
	dst = le.AppendUint64(dst, st.Seq)
	dst = le.AppendUint64(dst, st.Toggles)
	dst = le.AppendUint32(dst, 0) // snapshot length, filled below
	dst = le.AppendUint32(dst, 0) // CRC, filled below
	dst = protocol.AppendSnapshot(dst, st.Epoch, st.Seq, &st.Grid)
	le.PutUint32(dst[n+36:], uint32(len(dst)-n-checkpointHeader))
	c := crc32.Update(crc(dst[n:n+checkpointCRCField]), crc32.MakeTable(crc32.Castagnoli), dst[n+checkpointHeader:])
	le.PutUint32(dst[n+checkpointCRCField:], c)
	return dst
}

// readCheckpoint reads and fully checks the checkpoint at path into st.
// Every failure is a *CorruptError (or wraps ErrVersion) naming the field's
// offset.
func readCheckpoint(path string, st *State) error {
	le := binary.LittleEndian
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
	if fi.Size() < checkpointHeader || fi.Size() > maxCheckpointFile {
		return corrupt(name, 0, "file of %d bytes, want %d..%d", fi.Size(), checkpointHeader, maxCheckpointFile)
	}
	b := make([]byte, fi.Size()) // bounded above
	if _, err := io.ReadFull(f, b); err != nil {
		return fmt.Errorf("store: read checkpoint %s: %w", name, err)
	}
	if string(b[:8]) != checkpointMagic {
		return corrupt(name, 0, "bad magic %q", b[:8])
	}
	if n := int64(le.Uint32(b[36:])); n != fi.Size()-checkpointHeader {
		return corrupt(name, 36, "snapshot length %d, file holds %d", n, fi.Size()-checkpointHeader)
	}
	c := crc32.Update(crc(b[:checkpointCRCField]), crc32.MakeTable(crc32.Castagnoli), b[checkpointHeader:])
	if want := le.Uint32(b[checkpointCRCField:]); c != want {
		return corrupt(name, checkpointCRCField, "checksum 0x%08x, computed 0x%08x", want, c)
	}
	if v := le.Uint16(b[8:]); v != checkpointVersion {
		return fmt.Errorf("%w: %s has version %d, this build reads %d", ErrVersion, name, v, checkpointVersion)
	}
	if r := le.Uint16(b[10:]); r != 0 {
		return corrupt(name, 10, "reserved field is %d", r)
	}
	st.Epoch, st.Seq, st.Toggles = le.Uint64(b[12:]), le.Uint64(b[20:]), le.Uint64(b[28:])
	if st.Epoch == 0 {
		return corrupt(name, 12, "epoch 0")
	}
	if want, ok := parseSeqName(name, checkpointPrefix, checkpointSuffix); ok && want != st.Seq {
		return corrupt(name, 20, "seq %d, file name says %d", st.Seq, want)
	}
	snap, err := protocol.DecodeSnapshot(b[checkpointHeader:])
	if err != nil {
		return corrupt(name, checkpointHeader, "snapshot: %v", err)
	}
	if snap.Epoch != st.Epoch || snap.Seq != st.Seq {
		return corrupt(name, checkpointHeader, "snapshot at epoch %d seq %d, header says epoch %d seq %d", snap.Epoch, snap.Seq, st.Epoch, st.Seq)
	}
	if err := snap.Bits(&st.Grid); err != nil {
		return corrupt(name, checkpointHeader+protocol.SnapshotHeaderSize, "snapshot payload: %v", err)
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

// Package store makes the grid durable: a write-ahead log (WAL) of the
// Delta frames the server broadcasts, plus periodic checkpoints of the whole
// grid, in one data directory.
//
// # Entry points and flow
//
//   - Open locks the directory and recovers: newest valid checkpoint, then
//     every log record after its seq, XORed into the grid. It returns the
//     Store and the recovered State.
//   - Append logs one tick's Delta frame (group commit: one Append, one
//     fsync per tick) before the server shows it to anyone.
//   - WantCheckpoint says a checkpoint is due (time or log bytes);
//     Checkpoint writes one and prunes what it makes unnecessary.
//   - Close fsyncs and unlocks. Graceful shutdown = Checkpoint, then Close.
//   - Sync fsyncs pending records in SyncInterval mode (for idle ticks).
//   - ReadLog reads the log's records without locking or changing the
//     directory, for tools and the crash test.
//
// A Store is owned by one goroutine (the server's tick loop); no method is
// safe for concurrent use. Checkpoint runs inline: a ≤125 KB write plus two
// fsyncs.
//
// # Files
//
// All integers are little-endian. Sequence numbers in names are 16
// lower-case hex digits, so lexical order is numeric order.
//
//	LOCK                     flock(2)ed while a server has the directory open
//	wal-<first seq>.log      a log segment; its first record has seq <first seq>
//	ckpt-<seq>.ckpt          the grid as of <seq>
//	ckpt-<seq>.ckpt.tmp      a checkpoint being written; removed by Open
//	ckpt-<seq>.ckpt.bad      a checkpoint recovery found bad and skipped
//	probe, probe.tmp         Probe's durable test write at start, removed at once
//
// A fresh directory gets a random non-zero epoch, recorded in
// ckpt-0000000000000000.ckpt (empty grid), then wal-0000000000000001.log.
// Segments are consecutive: each starts at the seq after its predecessor's
// last record. A segment is rotated (the next Append starts a new one) once
// it holds Options.SegmentBytes; a new segment is created and its directory
// entry fsynced before any record goes into it.
//
// # Log record
//
//	offset size field
//	0      4    n, length of the Delta frame (13 … protocol.MaxServerMessage)
//	4      8    seq (equals the frame's seq; exactly one more than the previous record's)
//	12     8    toggles: total toggles ever applied, after this record
//	20     4    CRC32C (Castagnoli) of the frame
//	24     4    CRC32C of bytes 0..23: the header has its own checksum, so a
//	            damaged length is reported as corruption, never read as a torn tail
//	28     n    the Delta frame, byte for byte as broadcast (protocol.AppendDelta)
//
// # Checkpoint file
//
//	offset size field
//	0      8    magic "CKGRIDCP"
//	8      2    format version (1)
//	10     2    reserved, 0
//	12     8    epoch (non-zero)
//	20     8    seq the grid is at (equals the file name's)
//	28     8    toggles as of seq
//	36     4    n, length of the snapshot (the file is exactly 44 + n bytes)
//	40     4    CRC32C of bytes 0..39 followed by bytes 44..44+n
//	44     n    a protocol Snapshot frame (protocol.AppendSnapshot) of the same
//	            epoch and seq; decoded with protocol.DecodeSnapshot and Bits, so
//	            roaring bytes from disk are validated like bytes from the wire
//
// A checkpoint is written to a .tmp file, fsynced, renamed into place and
// the directory fsynced. Before that, the log is fsynced, so the log always
// reaches the newest checkpoint's seq. After it, checkpoints older than the
// previous one are removed, and every segment the previous checkpoint wholly
// covers (the next segment starts at or before its seq+1): the log is kept
// from the previous checkpoint on, so that one is a usable fallback.
//
// # Recovery, torn versus corrupt
//
// Open reads the newest checkpoint, then the segments from the last one that
// starts at or before its seq+1, checking every record's checksums and that
// seqs run without a gap from segment to segment; records up to the
// checkpoint's seq are checked, not applied. Following etcd's WAL, a crash
// can only damage the end of the last segment, so:
//
// Torn (the record was never acknowledged in SyncEveryAppend mode; it is cut
// off by truncating the file, logged at Warn, and recovery goes on) — only in
// the last segment:
//   - the file ends inside a record's header or before its declared end;
//   - the bytes from a record boundary to the end of the file are all zero
//     (the file was extended but its data never written);
//   - a record fails a checksum and the file is all zero from a 512-byte
//     sector boundary inside that record to its end (a write cut between
//     sectors).
//
// Whenever recovery cuts a torn tail (or falls back past a bad checkpoint,
// below), it starts a new random epoch, recorded in a checkpoint at the
// recovered seq after fsyncing the log: the seq of a cut record will be
// reused for other content, and a client that saw the cut one
// (SyncInterval mode, power loss) must resync rather than take the new
// record for the one it has.
//
// Corrupt (Open fails with a *CorruptError wrapping ErrCorrupt, naming the
// file and the record's offset; nothing is dropped or repaired):
//   - any complete record whose header or frame checksum fails, other than
//     the torn cases above; any damage in a segment that is not the last;
//   - a header whose checksum holds but whose length is out of range, a
//     frame the protocol decoder rejects, or a frame seq that disagrees;
//   - a seq gap or repeat between records or segments, a segment whose name
//     disagrees with its first record, or a log that ends before the
//     checkpoint's seq or starts after it;
//   - log segments with no checkpoint;
//   - a checkpoint failing any check (offset of the field that failed).
//
// A bad newest checkpoint is survivable only if an older valid one exists
// and the log still reaches back to it: recovery then replays from the older
// one (ending at the same state), renames the bad one to .bad, and logs at
// Error. Otherwise Open fails naming the newest checkpoint. An unknown
// format version (ErrVersion) never falls back.
//
// # Sync modes and what they can lose
//
//   - SyncEveryAppend (default): Append returns after write and fsync. A
//     change acknowledged to the server, and so seen by any client, survives
//     kill -9, power loss and kernel crash. A record cut by a crash was never
//     acknowledged.
//   - SyncInterval: Append returns after write(2); the log is fsynced by the
//     first Append at least Options.SyncInterval after the last fsync, and by
//     Sync, Checkpoint and Close. kill -9 loses nothing (the data is in the
//     page cache), but power loss or a kernel crash loses the records since
//     the last fsync — normally at most SyncInterval of ticks, which clients
//     may have seen; if appends stop, until the next Sync call or the
//     kernel's own writeback (~30 s).
//
// # Write errors and full disks
//
// If write or fsync fails, Append truncates the segment back to its last
// good record and returns the error; the caller retries the same seq
// later. An fsync failure is taken to mean the record is not durable; the
// retry rewrites it from the caller's bytes rather than trusting the page
// cache. Checkpoint failures leave the previous checkpoint and the log in
// place.
package store

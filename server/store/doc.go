// Package store makes the grid durable and keeps its history: a
// write-ahead log (WAL) of the Delta frames the server broadcasts, each with
// its commit time, plus keyframes (checkpoints of the whole grid), in one
// data directory. Nothing is deleted unless an operator bounds the history.
//
// # Entry points and flow
//
//   - Open locks the directory and recovers: newest valid checkpoint, then
//     every log record after its seq, XORed into the grid. It returns the
//     Store and the recovered State.
//   - Append logs one tick's Delta frame (group commit: one Append, one
//     fsync per tick) before the server shows it to anyone, stamped with
//     its commit time, and steps the hash chain.
//   - WantCheckpoint says a checkpoint is due (log bytes or time);
//     Checkpoint writes one, a keyframe of history, and drops the oldest
//     history only past Options.HistoryMaxBytes or HistoryMaxAge.
//   - Head (any goroutine) says where the log is: last seq, its time, the
//     chain, where history starts and what was dropped.
//   - Close fsyncs and unlocks. Graceful shutdown = Checkpoint, then Close.
//   - Sync fsyncs pending records in SyncInterval mode (for idle ticks).
//   - NewImport builds a new data directory from history read elsewhere
//     (`checkgrid history import`): the first keyframe, then Add for each
//     record with its own commit time, Finish renames it into place.
//   - ReadLog reads the log's records without locking or changing the
//     directory, for tools and the crash test.
//   - History reads kept history while the Store appends (NewHistory, up
//     to the Store's Head) or from a stopped directory (OpenHistory): the
//     grid at a seq (GridAt), the seq at a time (SeqAt), records
//     (Records), keyframe headers, and Verify, which checks it all end
//     to end and names the first bad record or keyframe. Safe for
//     concurrent use.
//
// A Store is owned by one goroutine (the Sequencer's, server/pipeline); no
// method but Head is safe for concurrent use. Checkpoint runs inline: a ≤125 KB write
// plus two fsyncs.
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
// it holds Options.SegmentBytes; a new segment is created, its header
// written and fsynced, and its directory entry fsynced before any record
// goes into it.
//
// # Segment header (version 3)
//
//	offset size field
//	0      8    magic "CKGRIDWL"
//	8      2    format version (3; versions 1 and 2 are still read, below)
//	10     2    reserved, 0
//	12     8    first seq: the seq of the segment's first record (equals
//	            the file name's)
//	20     8    toggles after record first−1
//	28     8    commit time of record first−1, Unix nanoseconds (0: unknown)
//	36     4    CRC32C of bytes 0..35
//
// Bytes 12..35 are the record before the segment's first, which that first
// record is coded against: every segment reads alone, without its
// predecessor. A version-2 header is 16 bytes: the magic, version 2, the
// reserved field, and the CRC32C of bytes 0..11 at 12.
//
// A segment that does not start with the magic is version 1 (written before
// history was kept): no header, records in the version-1 layout from
// offset 0. Its first four bytes, a record length ≤ 126,024, can never read
// as "CKGR" (0x52474B43). New records never go into a version-1 or -2
// segment: Open starts a version-3 one after it (or gives an old segment
// that holds no record yet a version-3 header).
//
// # Log record (version 3)
//
// A record is coded against the one before it (for a segment's first, the
// record its header names); its seq is that one's plus one, never stored.
//
//	size  field
//	1..3  n, the body's length, an unsigned LEB128 varint (3 … 126,056)
//	2     the length's check: the low 16 bits of CRC32C of the varint's
//	      bytes, so a damaged length is reported as corruption, never read
//	      as a torn tail (every single flipped bit is caught; about one in
//	      65,536 other damages is not)
//	n     body:
//	        varint  commit time minus the previous record's, nanoseconds
//	                (unsigned; times never decrease)
//	        varint  toggles minus the previous record's (unsigned; k, the
//	                boxes in the Delta, plus any coalesced double flips).
//	                These two varints come first so that a reader can step
//	                past a record without decoding its boxes
//	        1       kind: how the boxes are held
//	        …       0, packed: k as an unsigned varint, then the Delta's
//	                payload exactly as broadcast (the protocol's packed
//	                index set, PROTOCOL.md)
//	                1, runs: the run-coded set (below) of the k boxes
//	4     CRC32C of the record's seq (8 bytes) followed by every byte of the
//	      record before this field
//
// The Delta frame, byte for byte as broadcast, is rebuilt from a record:
// type 0x03, seq (8 bytes), k (4 bytes), then the payload; for kind 1 the
// payload is protocol.AppendDelta's for the boxes. The store writes kind 1
// only when that gives back exactly the frame it was handed, and when it is
// shorter; otherwise kind 0. Everything that reads history — recovery,
// ReadLog, History.Records (the API's "Delta frames of a seq range, byte for
// byte as stored"), the hash chain, Verify, export — sees the rebuilt frames,
// the same bytes the players were sent; only this file's layout changed.
//
// Run-coded set (kind 1), bits most significant first, zero-padded to a
// byte:
//
//	gamma(r)       r ≥ 1, the number of runs (maximal stretches of consecutive boxes)
//	5 bits         b, the Rice parameter of the gaps (0..20)
//	20 bits        the first run's first box
//	gamma(len)     its length
//	then for each further run:
//	  Rice_b(gap)  gap = its first box − the previous run's last box − 2
//	               (runs are maximal, so ≥ 0): gap>>b as that many one bits
//	               and a zero, then gap's low b bits
//	  gamma(len)   its length
//
// gamma(x), x ≥ 1, is the Elias gamma code: L−1 zero bits, then x in L
// bits, L = bits.Len(x). A run must end inside the grid, and no more than
// 7 zero bits may follow the last. A drawer's line of 20 boxes costs one
// gap and 9 bits of length where the protocol spends a Rice code per box;
// a lone box costs one bit more than in the protocol, which is why a tick
// of scattered boxes keeps kind 0.
//
// Vector: a version-3 segment after record 6 (toggles 100, time
// 1,700,000,000,000,000,000), holding record 7 (boxes 5 and 1000..1019,
// committed 25 ms later, toggles 123: two more than its 21 boxes) and
// record 8 (the ten boxes 7 + i·99,991, 50 ms after that, toggles 133):
//
//	434b47524944574c 0300 0000 0700000000000000 6400000000000000 00002a36fe9c9717 77cd609e
//	0d 821f c0f0f50b 17 01 4900005de10a00 34ca4f9d
//	1f 1aa8 80e1eb17 0a 00 0a 800003d0d2d434b50d2d434b50d2d434b50d2d434b50d2c0 298910c9
//
// Record 7's Delta frame is
// 03070000000000000015000000280002ffffffff080000000000000000000000000000
// (35 bytes; the record takes 20, the version-2 record 71); record 8's,
// 0308000000000000000a000000800003d0d2d434b50d2d434b50d2d434b50d2d434b50d2c0.
//
// # Log records of older versions
//
// A version-2 record (in a version-2 segment, after its 16-byte header):
//
//	offset size field
//	0      4    n, length of the Delta frame (13 … protocol.MaxServerMessage)
//	4      8    seq (equals the frame's seq; exactly one more than the previous record's)
//	12     8    toggles: total toggles ever applied, after this record
//	20     8    commit time, Unix nanoseconds (> 0; 0, unknown, only in a
//	            directory imported from records of unknown time); never less than the
//	            previous record's (Append clamps a wall clock that steps back)
//	28     4    CRC32C (Castagnoli) of the frame
//	32     4    CRC32C of bytes 0..31: the header has its own checksum
//	36     n    the Delta frame, byte for byte as broadcast (protocol.AppendDelta)
//
// A version-1 record is the same without the commit time: n, seq, toggles
// at 0, 4, 12; frame CRC at 20; header CRC of bytes 0..23 at 24; the frame
// at 28. Its commit time is unknown, reported as 0 everywhere (history's
// times for records of a directory written before history was kept).
// testdata/v2dir is a directory the version-2 build wrote; the tests open,
// verify and extend it.
//
// # Checkpoint file (a keyframe; version 2)
//
//	offset size field
//	0      8    magic "CKGRIDCP"
//	8      2    format version (2; version 1 is still read, below)
//	10     2    reserved, 0
//	12     8    epoch (non-zero)
//	20     8    seq the grid is at (equals the file name's)
//	28     8    toggles as of seq
//	36     8    commit time of record seq, Unix nanoseconds (0: seq 0, or unknown)
//	44     32   the hash chain at seq (below)
//	76     4    n, length of the snapshot (the file is exactly 84 + n bytes)
//	80     4    CRC32C of bytes 0..79 followed by bytes 84..84+n
//	84     n    a protocol Snapshot frame (protocol.AppendSnapshot) of the same
//	            epoch and seq; decoded with protocol.DecodeSnapshot and Bits, so
//	            roaring bytes from disk are validated like bytes from the wire
//
// Version 1 has neither time nor chain: epoch, seq, toggles at 12, 20, 28,
// n at 36, the CRC (of bytes 0..39 and the snapshot) at 40, the snapshot
// at 44.
//
// A checkpoint is written to a .tmp file, fsynced, renamed into place and
// the directory fsynced. Before that, the log is fsynced, so the log always
// reaches the newest checkpoint's seq.
//
// # History: kept, keyframed, bounded
//
// Every checkpoint is kept as a keyframe and no segment is deleted, so the
// grid at any seq from the oldest keyframe on is that keyframe plus the
// records after it. A checkpoint is due after Options.CheckpointBytes of
// Delta frames logged (default 2 MiB; the frames' size, not the records':
// replay decodes frames, and a version-3 record is a fraction of its
// frame) or CheckpointEvery (default 1 h) with something logged, so the
// grid at any seq is one keyframe plus at most CheckpointBytes + one
// frame of replay, read from at most one segment before it (SegmentBytes,
// default 8 MiB; its records before the keyframe are only checksummed,
// not decoded). Restart replays only from the newest keyframe: the same
// bound, however long the kept log.
//
// Options.HistoryMaxBytes (bytes of segments and keyframes) and
// HistoryMaxAge (age of the second-oldest keyframe) bound history: after a
// checkpoint, while over a bound, the oldest keyframe is removed and then
// every segment the next keyframe wholly covers (the next segment starts at
// or before its seq+1). The newest two keyframes and the log from the older
// one always stay, so recovery can fall back to it. Head.First is where
// history now starts; Head.Dropped counts what was dropped and why.
//
// A directory written before history was kept holds version-1 files and
// only its last two checkpoints' worth of log: its history starts at its
// oldest checkpoint, with times unknown (0) until the first version-2 (or later)
// record.
//
// # Hash chain
//
// All integers little-endian; SHA-256 throughout; "||" concatenates.
//
//	base(K)   = SHA-256("checkgrid history base v1" || epoch || seq || toggles || grid)
//	chain(s)  = SHA-256(chain(s-1) || epoch(s) || s || time(s) || toggles(s) || frame(s))
//
// base commits to a keyframe K (8-byte epoch, seq, toggles, then the grid as
// 125,000 raw bytes, box i in bit i%8 of byte i/8). Record s steps the
// chain with its epoch, seq, time (0 if unknown) and toggles as 8-byte
// integers, then its Delta frame bytes. epoch(s) is the epoch of the newest
// keyframe whose seq is below s: records belong to the epoch of the
// checkpoint they follow. Every version-2 keyframe stores chain(seq) at its
// seq. A fresh directory's keyframe 0 holds base(keyframe 0); a directory
// whose newest checkpoint is version 1 gets, at Open, a version-2 keyframe
// at the recovered seq holding its own base: the chain starts there, and the
// version-1 history before it is served but not chained. A reader of a
// history takes the oldest keyframe's chain as given (after HistoryMax*
// dropped some, it commits to what came before) and checks every later
// keyframe's against the records between.
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
// Also torn, only in the last segment: a segment shorter than its header
// (40 bytes; 16 for version 2) whose bytes are a prefix of a header or
// zeros (for version 3, its first 12 bytes, the rest being any). The header is
// durable before any record is written, so no record is lost: the segment
// is emptied and its header written again, in the same epoch.
//
// Whenever recovery cuts a torn tail (or falls back past a bad checkpoint,
// below), it starts a new random epoch, recorded in a keyframe at the
// recovered seq after fsyncing the log: the seq of a cut record will be
// reused for other content, and a client that saw the cut one
// (SyncInterval mode, power loss) must resync rather than take the new
// record for the one it has. The epoch change is part of history: records
// after that keyframe step the chain with the new epoch.
//
// Corrupt (Open fails with a *CorruptError wrapping ErrCorrupt, naming the
// file and the record's offset; nothing is dropped or repaired):
//   - any complete record whose header or frame checksum fails, other than
//     the torn cases above; any damage in a segment that is not the last;
//   - a header whose checksum holds but whose length is out of range, a
//     frame the protocol decoder rejects, or a frame seq that disagrees;
//   - a version-3 record whose checksums hold but whose body does not
//     decode (a varint cut or overlong, an unknown kind, a box count of 0
//     or above the grid, a run set or packed payload the decoders reject);
//     a version-3 segment header naming a first seq other than its file
//     name's;
//   - a seq gap or repeat between records or segments, a segment whose name
//     disagrees with its first record, or a log that ends before the
//     checkpoint's seq or starts after it;
//   - log segments with no checkpoint;
//   - a checkpoint failing any check (offset of the field that failed);
//   - a segment header whose checksum fails, a cut header in a segment
//     that is not the last, a negative time, or a record whose time is
//     below the previous one's.
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

// A reader of checkgrid's history export file, written from
// protocol/PROTOCOL.md ("Export file", "Entry", "Hash chain", "Delta",
// "Packed index set") alone, with no checkgrid code: proof that the format
// is readable from its document.
//
// usage: node export-reader.mjs FILE [SEQ ...]
// Prints one JSON line per SEQ asked for, {"seq", "checked", "sha256"} of
// the grid there (the 125,000 raw bytes, box i in bit i%8 of byte i/8),
// then {"from", "to", "chain"}: the hash chain stepped through every entry.
// Any malformed byte is an error (exit 1).
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";

const GRID_BYTES = 125000;
const BOXES = 1000000;

function fail(msg) {
  console.error("export-reader: " + msg);
  process.exit(1);
}

const [file, ...want] = process.argv.slice(2);
if (!file) fail("usage: node export-reader.mjs FILE [SEQ ...]");
const buf = readFileSync(file);
const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
const u64 = (off) => dv.getBigUint64(off, true);
const sha256 = (...parts) => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest();
};

// Trailer: SHA-256 of every byte before it.
if (buf.length < 80 + 16 + GRID_BYTES + 32) fail("file too short");
const body = buf.subarray(0, buf.length - 32);
if (!sha256(body).equals(buf.subarray(buf.length - 32))) fail("trailer SHA-256 does not match");

// Header.
if (buf.toString("latin1", 0, 8) !== "CKGRIDHX") fail("bad magic");
if (dv.getUint16(8, true) !== 1) fail("unknown version " + dv.getUint16(8, true));
const nSpans = dv.getUint16(10, true);
if (nSpans < 1 || dv.getUint32(12, true) !== 0) fail("bad span count or reserved field");
const from = u64(16);
const to = u64(24);
if (from > to) fail("from after to");
let chain = Buffer.from(buf.subarray(48, 80));
const chained = !chain.equals(Buffer.alloc(32));
const spans = []; // {epoch: 8 raw bytes, fromSeq: BigInt}
for (let i = 0; i < nSpans; i++) {
  const off = 80 + 16 * i;
  spans.push({ epoch: buf.subarray(off, off + 8), fromSeq: u64(off + 8) });
}
if (spans[0].fromSeq !== from) fail("first span does not start at from");
const epochOf = (seq) => {
  let e = spans[0].epoch;
  for (const s of spans.slice(1)) if (s.fromSeq < seq) e = s.epoch;
  return e;
};

// The grid at from.
let off = 80 + 16 * nSpans;
const grid = Buffer.from(buf.subarray(off, off + GRID_BYTES));
off += GRID_BYTES;

// Packed index set: MSB-first bits; 5-bit Rice parameter b, 20-bit first
// index, then each gap - 1 as a Rice code (unary quotient of ones, a zero,
// b low bits).
function unpack(frame, start, k) {
  let bit = start * 8;
  const end = frame.length * 8;
  const read = (n) => {
    let v = 0;
    for (let i = 0; i < n; i++) {
      if (bit >= end) fail("packed set runs past its frame");
      v = v * 2 + ((frame[bit >> 3] >> (7 - (bit & 7))) & 1);
      bit++;
    }
    return v;
  };
  const b = read(5);
  if (b > 20) fail("Rice parameter " + b);
  let p = read(20);
  const out = [p];
  for (let i = 1; i < k; i++) {
    let q = 0;
    while (read(1) === 1) q++;
    p = p + 1 + q * 2 ** b + read(b);
    out.push(p);
  }
  for (const i of out) if (i >= BOXES) fail("index " + i + " outside the grid");
  return out;
}

const count = () => {
  let n = 0;
  for (const byte of grid) for (let x = byte; x; x &= x - 1) n++;
  return n;
};
const report = (seq) => {
  if (want.includes(String(seq))) {
    console.log(JSON.stringify({ seq: Number(seq), checked: count(), sha256: sha256(grid).toString("hex") }));
  }
};

report(from);
for (let seq = from + 1n; seq <= to; seq++) {
  // Entry: time (8), toggles (8), n (4), then the Delta frame.
  if (off + 20 > body.length) fail("entry " + seq + " cut");
  const timeAndToggles = buf.subarray(off, off + 16);
  const n = dv.getUint32(off + 16, true);
  const frame = buf.subarray(off + 20, off + 20 + n);
  if (frame.length !== n || n < 13) fail("entry " + seq + " has a bad length");
  off += 20 + n;
  // Delta: type 0x03, seq (8), k (4), packed set.
  if (frame[0] !== 0x03) fail("entry " + seq + " is not a Delta");
  const fdv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (fdv.getBigUint64(1, true) !== seq) fail("entry " + seq + " holds another seq");
  for (const i of unpack(frame, 13, fdv.getUint32(9, true))) grid[i >> 3] ^= 1 << (i & 7);
  if (chained) {
    const s = Buffer.alloc(8);
    s.writeBigUInt64LE(seq);
    chain = sha256(chain, epochOf(seq), s, timeAndToggles, frame);
  }
  report(seq);
}
if (off !== body.length) fail("bytes after the last entry");
console.log(JSON.stringify({ from: Number(from), to: Number(to), chain: chained ? chain.toString("hex") : "" }));

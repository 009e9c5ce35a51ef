package history

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"

	"checkgrid/protocol"
	"checkgrid/server/store"
)

// The export file (PROTOCOL.md, "Export file"): a header, the grid at
// From, the entries From+1 … To, and the SHA-256 of everything before it.
const (
	exportMagic   = "CKGRIDHX"
	exportVersion = 1
	// exportFixed is the header before the epoch spans.
	exportFixed = 80
	// exportSpan is one epoch span: epoch, from_seq.
	exportSpan = 16
	// maxSpans is what the 2-byte span count holds; an epoch starts only
	// at a recovery that cut a torn tail, so real files hold a few.
	maxSpans = 1<<16 - 1
	// gridBytes is the grid as raw bits, box i in bit i%8 of byte i/8
	// (1,000,000 boxes are exactly 15,625 words: no padding bits).
	gridBytes = protocol.BitsetWords * 8
)

// ErrExport means bytes are not a well-formed export file.
var ErrExport = errors.New("history: bad export file")

// Span says which epoch records belong to: those after FromSeq, up to
// the next span's FromSeq.
type Span struct {
	Epoch, FromSeq uint64
}

// ExportHeader is what an export file says before its entries.
type ExportHeader struct {
	From, To uint64 // the grid is at From; entries From+1 … To follow
	Toggles  uint64 // as of From
	Time     int64  // commit time of record From, Unix ns; 0 if unknown
	Chain    store.Chain
	Chained  bool   // false: history at From predates the chain (Chain all zero)
	Spans    []Span // Spans[0].FromSeq == From; its epoch is the grid's
}

// epochOf returns the epoch of record seq (> From).
func (h *ExportHeader) epochOf(seq uint64) uint64 {
	e := h.Spans[0].Epoch
	for _, s := range h.Spans[1:] {
		if s.FromSeq >= seq {
			break
		}
		e = s.Epoch
	}
	return e
}

func (h *ExportHeader) check() error {
	switch {
	case h.From > h.To:
		return fmt.Errorf("%w: from %d is after to %d", ErrExport, h.From, h.To)
	case len(h.Spans) == 0 || len(h.Spans) > maxSpans:
		return fmt.Errorf("%w: %d epoch spans (1 … %d)", ErrExport, len(h.Spans), maxSpans)
	case h.Spans[0].FromSeq != h.From:
		return fmt.Errorf("%w: the first epoch span starts at %d, not at from %d", ErrExport, h.Spans[0].FromSeq, h.From)
	case h.Time < 0:
		return fmt.Errorf("%w: negative time %d", ErrExport, h.Time)
	case h.Chained == (h.Chain == store.Chain{}):
		return fmt.Errorf("%w: chained %v with chain %x", ErrExport, h.Chained, h.Chain)
	}
	for i, s := range h.Spans {
		if s.Epoch == 0 {
			return fmt.Errorf("%w: epoch span %d has epoch 0", ErrExport, i)
		}
		if i > 0 && (s.FromSeq <= h.Spans[i-1].FromSeq || s.FromSeq >= h.To) {
			return fmt.Errorf("%w: epoch span %d starts at %d: after %d and before to %d, please", ErrExport, i, s.FromSeq, h.Spans[i-1].FromSeq, h.To)
		}
	}
	return nil
}

func appendExportHeader(dst []byte, h *ExportHeader) []byte {
	le := binary.LittleEndian
	dst = append(dst, exportMagic...)
	dst = le.AppendUint16(dst, exportVersion)
	dst = le.AppendUint16(dst, uint16(len(h.Spans)))
	dst = le.AppendUint32(dst, 0)
	dst = le.AppendUint64(dst, h.From)
	dst = le.AppendUint64(dst, h.To)
	dst = le.AppendUint64(dst, h.Toggles)
	dst = le.AppendUint64(dst, uint64(h.Time))
	dst = append(dst, h.Chain[:]...)
	for _, s := range h.Spans {
		dst = le.AppendUint64(dst, s.Epoch)
		dst = le.AppendUint64(dst, s.FromSeq)
	}
	return dst
}

func appendGrid(dst []byte, g *protocol.Bitset) []byte {
	for _, w := range g {
		dst = binary.LittleEndian.AppendUint64(dst, w)
	}
	return dst
}

// exportWriter writes an export file as its parts come, hashing them.
type exportWriter struct {
	w    io.Writer
	sum  hash.Hash
	hdr  ExportHeader
	next uint64
	buf  []byte
}

func newExportWriter(w io.Writer, h ExportHeader, g *protocol.Bitset) (*exportWriter, error) {
	if err := h.check(); err != nil {
		return nil, err
	}
	x := &exportWriter{w: w, sum: sha256.New(), hdr: h, next: h.From + 1}
	x.buf = appendGrid(appendExportHeader(nil, &h), g)
	return x, x.flush()
}

func (x *exportWriter) flush() error {
	x.sum.Write(x.buf)
	_, err := x.w.Write(x.buf)
	x.buf = x.buf[:0]
	return err
}

// add writes the next entry; its seq must be the next one.
func (x *exportWriter) add(e Entry) error {
	if e.Seq != x.next || e.Seq > x.hdr.To {
		return fmt.Errorf("%w: entry of seq %d, want %d (to %d)", ErrExport, e.Seq, x.next, x.hdr.To)
	}
	x.next++
	x.buf = appendEntry(x.buf, e.Time, e.Toggles, e.Frame)
	return x.flush()
}

// finish writes the trailer once every entry is in.
func (x *exportWriter) finish() error {
	if x.next != x.hdr.To+1 {
		return fmt.Errorf("%w: entries end at seq %d, want %d", ErrExport, x.next-1, x.hdr.To)
	}
	_, err := x.w.Write(x.sum.Sum(nil))
	return err
}

// ExportReader reads an export file: ReadExport checks the header and the
// grid, Next returns each entry, decoded and applied to Replica, and
// finally io.EOF once the trailer's SHA-256 and the end of the file are
// checked. Every bad byte is an ErrExport naming where; nothing is
// allocated from a length before it is checked.
type ExportReader struct {
	Header  ExportHeader
	Replica protocol.Replica // the grid at Header.From, then at each entry read
	Toggles uint64           // as of Replica.Seq
	Chain   store.Chain      // the chain at Replica.Seq, if Header.Chained

	r   *bufio.Reader
	sum hash.Hash
	buf []byte
	eof bool
}

// ReadExport reads the header and grid of the export file r.
func ReadExport(r io.Reader) (*ExportReader, error) {
	x := &ExportReader{r: bufio.NewReaderSize(r, 1<<16), sum: sha256.New()}
	fixed, err := x.read(exportFixed, "header")
	if err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	if string(fixed[:8]) != exportMagic {
		return nil, fmt.Errorf("%w: magic %q, want %q", ErrExport, fixed[:8], exportMagic)
	}
	if v := le.Uint16(fixed[8:]); v != exportVersion {
		return nil, fmt.Errorf("%w: version %d, this reader reads %d", ErrExport, v, exportVersion)
	}
	if le.Uint32(fixed[12:]) != 0 {
		return nil, fmt.Errorf("%w: reserved bytes 12..15 are not zero", ErrExport)
	}
	n := int(le.Uint16(fixed[10:]))
	h := ExportHeader{From: le.Uint64(fixed[16:]), To: le.Uint64(fixed[24:]), Toggles: le.Uint64(fixed[32:]), Time: int64(le.Uint64(fixed[40:]))}
	copy(h.Chain[:], fixed[48:80])
	h.Chained = h.Chain != store.Chain{}
	if n == 0 {
		return nil, fmt.Errorf("%w: no epoch span", ErrExport)
	}
	spans, err := x.read(n*exportSpan, "epoch spans")
	if err != nil {
		return nil, err
	}
	for i := range n {
		h.Spans = append(h.Spans, Span{Epoch: le.Uint64(spans[i*exportSpan:]), FromSeq: le.Uint64(spans[i*exportSpan+8:])})
	}
	if err := h.check(); err != nil {
		return nil, err
	}
	grid, err := x.read(gridBytes, "grid")
	if err != nil {
		return nil, err
	}
	var g protocol.Bitset
	for i := range g {
		g[i] = le.Uint64(grid[i*8:])
	}
	x.Header, x.Toggles, x.Chain = h, h.Toggles, h.Chain
	x.Replica.Reset(h.Spans[0].Epoch, h.From, &g)
	return x, nil
}

// read returns the next n bytes (valid until the next read), hashed.
func (x *ExportReader) read(n int, what string) ([]byte, error) {
	if cap(x.buf) < n {
		x.buf = make([]byte, n)
	}
	b := x.buf[:n]
	if _, err := io.ReadFull(x.r, b); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrExport, what, err)
	}
	x.sum.Write(b)
	return b, nil
}

// Next reads, checks and applies the next entry: its Frame is valid until
// the next call. After the last entry it checks the trailer and the end of
// the file and returns io.EOF.
func (x *ExportReader) Next() (Entry, error) {
	if x.eof {
		return Entry{}, io.EOF
	}
	if x.Replica.Seq == x.Header.To {
		return Entry{}, x.trailer()
	}
	seq := x.Replica.Seq + 1
	hdr, err := x.read(entryHeader, fmt.Sprintf("entry of seq %d", seq))
	if err != nil {
		return Entry{}, err
	}
	n := int(binary.LittleEndian.Uint32(hdr[16:]))
	if n < protocol.DeltaHeaderSize || n > protocol.MaxServerMessage {
		return Entry{}, fmt.Errorf("%w: entry of seq %d: frame length %d (%d … %d)", ErrExport, seq, n, protocol.DeltaHeaderSize, protocol.MaxServerMessage)
	}
	hdrCopy := [entryHeader]byte(hdr)
	frame, err := x.read(n, fmt.Sprintf("entry of seq %d", seq))
	if err != nil {
		return Entry{}, err
	}
	whole := append(hdrCopy[:], frame...)
	e, _, err := NextEntry(whole)
	if err == nil && e.Seq != seq {
		err = fmt.Errorf("frame of seq %d", e.Seq)
	}
	if err == nil {
		_, err = x.Replica.Apply(e.Frame)
	}
	if err != nil {
		return Entry{}, fmt.Errorf("%w: entry of seq %d: %w", ErrExport, seq, err)
	}
	x.Toggles = e.Toggles
	if x.Header.Chained {
		x.Chain = x.Chain.Next(x.Header.epochOf(seq), seq, e.Time, e.Toggles, e.Frame)
	}
	return e, nil
}

func (x *ExportReader) trailer() error {
	want := x.sum.Sum(nil)
	got := make([]byte, sha256.Size)
	if _, err := io.ReadFull(x.r, got); err != nil {
		return fmt.Errorf("%w: trailer: %w", ErrExport, err)
	}
	if string(got) != string(want) {
		return fmt.Errorf("%w: trailer SHA-256 %x, the file hashes to %x", ErrExport, got, want)
	}
	if _, err := x.r.ReadByte(); err != io.EOF {
		return fmt.Errorf("%w: bytes after the trailer", ErrExport)
	}
	x.eof = true
	return io.EOF
}

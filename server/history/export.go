package history

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"

	"checkgrid/protocol"
	"checkgrid/server/store"
)

// source is where an export reads history from: a data directory or a
// server's API. Both give the same file, byte for byte.
type source interface {
	extent() (Extent, error)
	// start returns the state at seq, its commit time and the chain there.
	start(seq uint64) (st *store.State, at int64, chain store.Chain, chained bool, err error)
	// entries visits the records from … to in order.
	entries(from, to uint64, visit func(Entry) error) error
}

// Export writes the history from … to of src (a data directory, or a
// server's http(s):// URL) to w as an export file (PROTOCOL.md, "Export
// file"). A zero from is the extent's first seq; a zero to its last.
func Export(w io.Writer, src string, from, to uint64) (ExportHeader, error) {
	s := openSource(src)
	ex, err := s.extent()
	if err != nil {
		return ExportHeader{}, err
	}
	if from == 0 {
		from = ex.FirstSeq
	}
	if to == 0 {
		to = ex.LastSeq
	}
	if from < ex.FirstSeq || to > ex.LastSeq || from > to {
		return ExportHeader{}, fmt.Errorf("%w: export %d..%d: history holds %d..%d", store.ErrNotKept, from, to, ex.FirstSeq, ex.LastSeq)
	}
	st, at, chain, chained, err := s.start(from)
	if err != nil {
		return ExportHeader{}, err
	}
	h := ExportHeader{From: from, To: to, Toggles: st.Toggles, Time: at, Chain: chain, Chained: chained}
	if h.Spans, err = spans(ex, from, to); err != nil {
		return ExportHeader{}, err
	}
	if h.Spans[0].Epoch != st.Epoch {
		return ExportHeader{}, fmt.Errorf("%w: the grid at %d has epoch %d, the extent says %d", ErrExport, from, st.Epoch, h.Spans[0].Epoch)
	}
	x, err := newExportWriter(w, h, &st.Grid)
	if err != nil {
		return ExportHeader{}, err
	}
	if from < to {
		if err := s.entries(from+1, to, x.add); err != nil {
			return ExportHeader{}, err
		}
	}
	return h, x.finish()
}

// ExportFile is Export to path: written beside it and renamed into place
// once complete and fsynced, so a failed export leaves no partial file.
func ExportFile(path, src string, from, to uint64) (ExportHeader, error) {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return ExportHeader{}, fmt.Errorf("history: export: %w", err)
	}
	defer os.Remove(f.Name()) // after the rename, a no-op
	h, err := Export(f, src, from, to)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		return ExportHeader{}, fmt.Errorf("history: export to %s: %w", path, err)
	}
	return h, nil
}

// spans are the extent's epoch spans that hold records from+1 … to, the
// first moved to start at from.
func spans(ex Extent, from, to uint64) ([]Span, error) {
	var out []Span
	for _, e := range ex.Epochs {
		ep, err := strconv.ParseUint(e.Epoch, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: extent epoch %q", ErrExport, e.Epoch)
		}
		switch {
		case e.FromSeq <= from:
			out = []Span{{Epoch: ep, FromSeq: from}}
		case e.FromSeq < to:
			out = append(out, Span{Epoch: ep, FromSeq: e.FromSeq})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: the extent names no epoch at seq %d", ErrExport, from)
	}
	return out, nil
}

func openSource(src string) source {
	if isURL(src) {
		return &urlSource{c: &http.Client{Timeout: fetchTimeout}, base: trimURL(src)}
	}
	return dirSource{store.OpenHistory(src)}
}

// dirSource reads a data directory (stopped, a copy, or a live server's:
// up to its last complete record).
type dirSource struct{ h *store.History }

func (d dirSource) extent() (Extent, error) { return BuildExtent(d.h, Limits{}) }

func (d dirSource) start(seq uint64) (*store.State, int64, store.Chain, bool, error) {
	st, at, err := d.h.GridAt(seq)
	if err != nil {
		return nil, 0, store.Chain{}, false, err
	}
	c, chained, err := d.h.ChainAt(seq)
	return st, at, c, chained, err
}

func (d dirSource) entries(from, to uint64, visit func(Entry) error) error {
	return d.h.Records(from, to, func(r store.Record) error {
		return visit(Entry{Time: r.Time, Toggles: r.Toggles, Seq: r.Seq, Frame: r.Frame})
	})
}

// urlSource reads a server's history API.
type urlSource struct {
	c    *http.Client
	base string
}

func (u *urlSource) extent() (Extent, error) {
	var ex Extent
	b, _, err := fetch(u.c, u.base+"/api/history")
	if err == nil {
		err = json.Unmarshal(b, &ex)
	}
	if err != nil {
		return Extent{}, fmt.Errorf("history: extent: %w", err)
	}
	return ex, nil
}

func (u *urlSource) start(seq uint64) (*store.State, int64, store.Chain, bool, error) {
	var c store.Chain
	b, h, err := fetch(u.c, fmt.Sprintf("%s/api/history/snapshot?seq=%d", u.base, seq))
	if err != nil {
		return nil, 0, c, false, err
	}
	s, err := protocol.DecodeSnapshot(b)
	st := &store.State{Epoch: s.Epoch, Seq: s.Seq}
	if err == nil {
		err = s.Bits(&st.Grid)
	}
	if err == nil && s.Seq != seq {
		err = fmt.Errorf("snapshot of seq %d", s.Seq)
	}
	var at int64
	if err == nil {
		st.Toggles, err = strconv.ParseUint(h.Get("X-Toggles"), 10, 64)
	}
	if t := h.Get("X-Time"); err == nil && t != "" {
		at, err = parseStamp(t)
	}
	chained := h.Get("X-Chain") != ""
	if err == nil && chained {
		if n, herr := hex.Decode(c[:], []byte(h.Get("X-Chain"))); herr != nil || n != len(c) {
			err = fmt.Errorf("X-Chain %q", h.Get("X-Chain"))
		}
	}
	if err != nil {
		return nil, 0, c, false, fmt.Errorf("%w: grid at seq %d: %w", ErrExport, seq, err)
	}
	return st, at, c, chained, nil
}

func (u *urlSource) entries(from, to uint64, visit func(Entry) error) error {
	for seq := from; seq <= to; {
		b, _, err := fetch(u.c, fmt.Sprintf("%s/api/history/deltas?from=%d&to=%d", u.base, seq, to))
		if err != nil {
			return err
		}
		if len(b) == 0 {
			return fmt.Errorf("%w: empty deltas page at seq %d", ErrExport, seq)
		}
		for len(b) > 0 {
			e, rest, err := NextEntry(b)
			if err != nil {
				return fmt.Errorf("history: deltas from %d: %w", seq, err)
			}
			if err := visit(e); err != nil {
				return err
			}
			b, seq = rest, e.Seq+1
		}
	}
	return nil
}

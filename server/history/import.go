package history

import (
	"fmt"
	"io"
	"os"

	"checkgrid/server/store"
)

// ImportFile reads the export file at path and writes its history to dir,
// a new data directory (missing or empty): the grid at the file's from as
// the first keyframe, then every entry as a record with its own commit
// time, keyframes as a server makes them, the file's epoch changes as
// keyframes of their own. Every byte is checked as it is read (ReadExport);
// the first bad entry is named, and a file that fails anywhere, even in
// its trailer, leaves no directory behind. A server started on dir serves
// the same history, with the same chain (unless the file's history
// predates the chain: then the directory's starts at its first keyframe).
func ImportFile(path, dir string) (ExportHeader, error) {
	f, err := os.Open(path)
	if err != nil {
		return ExportHeader{}, fmt.Errorf("history: import: %w", err)
	}
	defer f.Close()
	x, err := ReadExport(f)
	if err != nil {
		return ExportHeader{}, err
	}
	h := x.Header
	first := &store.State{Epoch: h.Spans[0].Epoch, Seq: h.From, Toggles: h.Toggles, Grid: x.Replica.Grid}
	var epochs []store.EpochStart
	for _, s := range h.Spans[1:] {
		epochs = append(epochs, store.EpochStart{Seq: s.FromSeq, Epoch: s.Epoch})
	}
	im, err := store.NewImport(dir, first, h.Time, h.Chain, h.Chained, epochs, store.Options{})
	if err != nil {
		return ExportHeader{}, err
	}
	for {
		e, err := x.Next()
		if err == io.EOF {
			break
		}
		if err == nil {
			if err = im.Add(e.Seq, e.Toggles, e.Time, e.Frame, &x.Replica.Grid); err != nil {
				err = fmt.Errorf("%w: entry of seq %d: %w", ErrExport, e.Seq, err)
			}
		}
		if err != nil {
			im.Abort()
			return ExportHeader{}, err
		}
	}
	if err := im.Finish(&x.Replica.Grid); err != nil {
		return ExportHeader{}, err
	}
	return h, nil
}

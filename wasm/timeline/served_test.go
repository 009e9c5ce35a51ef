//go:build !js

package timeline

import (
	"net/http/httptest"
	"testing"

	"checkgrid/protocol"
	"checkgrid/server/history"
	"checkgrid/server/store"
	"checkgrid/wasm/fetch"
)

// served writes ticks records through a real Store into a fresh data
// directory, as the server's sequencer does: tick k flips boxes(k)
// (strictly increasing) as seq k+1, with a keyframe every 2 KiB of log;
// after, if not nil, sees the state once each tick is committed. It
// serves the directory's history with the server's handler (closed when
// the test ends) and returns a Source of it and the history itself.
func served(t *testing.T, ticks int, boxes func(k int) []uint32, after func(*store.State)) (*Source, *store.History) {
	t.Helper()
	dir := t.TempDir()
	s, st, err := store.Open(dir, store.Options{Sync: store.SyncInterval, CheckpointBytes: 2 << 10})
	if err != nil {
		t.Fatal(err)
	}
	for k := range ticks {
		idx := boxes(k)
		st.Seq++
		st.Toggles += uint64(len(idx))
		f, err := protocol.AppendDelta(nil, st.Seq, idx)
		if err == nil {
			err = s.Append(st.Seq, st.Toggles, f)
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range idx {
			st.Grid.Flip(i)
		}
		if s.WantCheckpoint() {
			if err := s.Checkpoint(st); err != nil {
				t.Fatal(err)
			}
		}
		if after != nil {
			after(st)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	h := store.OpenHistory(dir)
	srv := httptest.NewServer(history.NewHandler(h, history.Limits{}, nil))
	t.Cleanup(srv.Close)
	return &Source{Base: srv.URL, HTTP: fetch.Client{HTTP: srv.Client()}}, h
}

package history

import (
	"testing"

	"checkgrid/protocol"
	"checkgrid/server/store"
)

// commit writes one tick through s as the server's sequencer does: the
// Delta of idx (strictly increasing, appended to buf) as st's next seq,
// st moved along, and a keyframe once s wants one. It returns the frame.
func commit(tb testing.TB, s *store.Store, st *store.State, buf []byte, idx []uint32) []byte {
	tb.Helper()
	st.Seq++
	st.Toggles += uint64(len(idx))
	f, err := protocol.AppendDelta(buf, st.Seq, idx)
	if err == nil {
		err = s.Append(st.Seq, st.Toggles, f)
	}
	if err != nil {
		tb.Fatal(err)
	}
	for _, i := range idx {
		st.Grid.Flip(i)
	}
	if s.WantCheckpoint() {
		if err := s.Checkpoint(st); err != nil {
			tb.Fatal(err)
		}
	}
	return f
}

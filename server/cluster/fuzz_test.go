package cluster

import (
	"testing"

	"checkgrid/protocol"
)

// The stored snapshot is read from the cluster's KV bucket: whatever bytes
// are there, decodeSnapshot returns a named error or a state that
// re-encodes to a snapshot of the same grid, and never panics.
func FuzzDecodeStoredSnapshot(f *testing.F) {
	var g protocol.Bitset
	f.Add(appendSnapshot(nil, 7, state{seq: 3, toggles: 9, bits: &g}))
	g.Put(5, true)
	g.Put(999_999, true)
	f.Add(appendSnapshot(nil, 7, state{seq: 1 << 40, toggles: 1, bits: &g}))
	for i := range 20_000 {
		g.Put(uint32(i*37), true)
	}
	f.Add(appendSnapshot(nil, 7, state{seq: 12, bits: &g}))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := decodeSnapshot(b, 7)
		if err != nil {
			return
		}
		again, err := decodeSnapshot(appendSnapshot(nil, 7, s), 7)
		if err != nil || again.seq != s.seq || again.toggles != s.toggles || *again.bits != *s.bits {
			t.Fatalf("re-encoded snapshot differs: %v", err)
		}
		if _, err := decodeSnapshot(b, 8); err == nil {
			t.Fatal("a snapshot of another history was accepted")
		}
	})
}

package web

import (
	"testing"

	"checkgrid"
)

// BenchmarkNewStatic is part of the server's start-up time: indexing the
// embedded page and assets (with the wasm built, when `make wasm` ran).
func BenchmarkNewStatic(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := NewStatic(checkgrid.Files()); err != nil {
			b.Fatal(err)
		}
	}
}

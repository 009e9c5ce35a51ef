//go:build !js

package host

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestSeenFile: the seq seen survives in its file, one per server; a
// missing or garbled file is no seq; writes leave no temporary files.
func TestSeenFile(t *testing.T) {
	dir := t.TempDir()
	a, err := seenPath(dir, "ws://127.0.0.1:8080/ws")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "checkgrid", "seen", "ws___127.0.0.1_8080_ws"); a != want {
		t.Fatalf("path %q, want %q", a, want)
	}
	b, _ := seenPath(dir, "wss://play.example.org/ws")
	if _, ok := readSeen(a); ok {
		t.Fatal("a seq before any was written")
	}
	for _, seq := range []uint64{1, 123456789, 1<<64 - 1, 42} {
		if err := writeSeen(a, seq); err != nil {
			t.Fatal(err)
		}
		if got, ok := readSeen(a); !ok || got != seq {
			t.Fatalf("wrote %d, read %d (%v)", seq, got, ok)
		}
	}
	if err := writeSeen(b, 7); err != nil {
		t.Fatal(err)
	}
	if got, _ := readSeen(a); got != 42 {
		t.Fatalf("another server's write changed this one's: %d", got)
	}
	entries, err := os.ReadDir(filepath.Dir(a))
	if err != nil || len(entries) != 2 {
		t.Fatalf("the seen directory holds %d entries (%v), want the 2 files", len(entries), err)
	}
	for _, garbage := range []string{"", "x", "-1", "12 13", "99999999999999999999999"} {
		if err := os.WriteFile(a, []byte(garbage), 0o600); err != nil {
			t.Fatal(err)
		}
		if got, ok := readSeen(a); ok {
			t.Fatalf("%q read as %d", garbage, got)
		}
	}
	if _, err := seenPath("", "ws://x/ws"); !errors.Is(err, ErrSeen) {
		t.Fatalf("no config directory: %v", err)
	}
	// A config directory that cannot be made is an error, not a panic.
	if err := os.WriteFile(filepath.Join(dir, "file"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	bad, _ := seenPath(filepath.Join(dir, "file"), "ws://x/ws")
	if err := writeSeen(bad, 1); !errors.Is(err, ErrSeen) {
		t.Fatalf("writing under a file: %v", err)
	}
}

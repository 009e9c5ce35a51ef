package identity

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestIdentity(t *testing.T) {
	id := New([]byte("0123456789abcdef0123456789abcdef"))
	tok := id.Issue()
	p, err := id.Verify(tok)
	if err != nil || len(p) != 16 {
		t.Fatalf("verify own token: %q %v", p, err)
	}
	other := New([]byte("another key, another server......"))
	for _, bad := range []string{"", "x", tok + "x", tok[:len(tok)-1], other.Issue(), p + ".AAAAAAAAAAAAAAAAAAAAAA"} {
		if _, err := id.Verify(bad); !errors.Is(err, ErrBadIdentity) {
			t.Errorf("Verify(%q) = %v, want ErrBadIdentity", bad, err)
		}
	}
}

func TestLoadKey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "identity.key")
	k1, err := LoadKey(path)
	if err != nil || len(k1) != KeySize {
		t.Fatalf("first start: %d bytes, %v", len(k1), err)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v, want mode 0600", st, err)
	}
	k2, err := LoadKey(path)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("second start: key changed (%v)", err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*.tmp")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	// A truncated key is refused and left as it is, never replaced.
	if err := os.WriteFile(path, k1[:17], 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = LoadKey(path)
	if !errors.Is(err, ErrBadKey) || !strings.Contains(err.Error(), "17 bytes, want 32") {
		t.Fatalf("17-byte key: %v, want ErrBadKey naming the length", err)
	}
	if b, _ := os.ReadFile(path); len(b) != 17 {
		t.Fatalf("bad key file rewritten to %d bytes", len(b))
	}
}

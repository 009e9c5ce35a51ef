package identity

import (
	"errors"
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

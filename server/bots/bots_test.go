package bots

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestFileKeepsNoSecret: the tokens file holds each token's digest, never
// the token, and a registry opened from it accepts the token and keeps a
// revocation.
func TestFileKeepsNoSecret(t *testing.T) {
	dir := t.TempDir()
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	a, tokA, err := r.Issue("a", 0, 0, "op", now)
	if err != nil || a.Rate != DefaultRate || a.Burst != DefaultBurst {
		t.Fatalf("issue: %+v %v", a, err)
	}
	_, tokB, err := r.Issue("b", 7, 9, "op", now)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.Revoke(a.ID, now); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, File))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), tokA[len(tokenPrefix)+2:]) || strings.Contains(string(b), tokB[len(tokenPrefix)+2:]) {
		t.Fatalf("the file holds a token's secret:\n%s", b)
	}
	r2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r2.Authenticate(tokA); !errors.Is(err, ErrRevoked) {
		t.Errorf("revoked token after reopening: %v", err)
	}
	if l, err := r2.Authenticate(tokB); err != nil || l.Key() != "bot:2" {
		t.Errorf("valid token after reopening: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, File), []byte(`{"version": 1, "next_id": 1, "tokens": [{"id": 5}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir); !errors.Is(err, ErrFile) {
		t.Errorf("an invalid file: %v, want ErrFile", err)
	}
}

// TestLaneQuota: the lane grants its burst, then refuses with the wait
// until all refused boxes would be taken, refills at its rate, and
// refuses everything once revoked, cutting its connections.
func TestLaneQuota(t *testing.T) {
	r, _ := Open(t.TempDir())
	tk, tok, _ := r.Issue("q", 10, 5, "", time.Now())
	l, err := r.Authenticate(tok)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if g, retry := l.Take(8, now); g != 5 || retry < 250*time.Millisecond || retry > 350*time.Millisecond {
		t.Fatalf("8 of a burst of 5: granted %d, retry %v (want 5, 0.3 s)", g, retry)
	}
	if g, _ := l.Take(1, now.Add(100*time.Millisecond)); g != 1 {
		t.Fatalf("after 0.1 s at 10/s: granted %d, want 1", g)
	}
	cut := 0
	unbind := l.Bind(func() { cut++ })
	defer unbind()
	if _, n, err := r.Revoke(tk.ID, now); err != nil || n != 1 || cut != 1 {
		t.Fatalf("revoke: %d cut, %d called, %v", n, cut, err)
	}
	if g, _ := l.Take(1, now.Add(time.Hour)); g != 0 {
		t.Fatalf("a revoked lane granted %d", g)
	}
}

// FuzzAuthenticate: no string makes Authenticate panic or accept
// anything but the token issued.
func FuzzAuthenticate(f *testing.F) {
	r, _ := Open(f.TempDir())
	_, tok, _ := r.Issue("f", 0, 0, "", time.Now())
	for _, s := range []string{tok, "", "cgbot_", "cgbot_1_", "cgbot_1_" + strings.Repeat("0", 64), "cgbot_18446744073709551616_" + strings.Repeat("a", 64), "cgbot_-1_x", tok + "0", strings.ToUpper(tok)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := r.Authenticate(s)
		if (err == nil) != (s == tok) {
			t.Fatalf("Authenticate(%q): %v", s, err)
		}
		if err != nil && l != nil {
			t.Fatal("a lane with an error")
		}
		if err != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrRejected) {
			t.Fatalf("Authenticate(%q): unnamed error %v", s, err)
		}
	})
}

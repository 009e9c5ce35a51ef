package serverproc

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// The server itself is exercised through this package by the crash and
// end-to-end tests; these cover the ways a start can fail, with stand-ins.
func TestStartFailures(t *testing.T) {
	if _, err := Start("/bin/false", nil, io.Discard, 5*time.Second); !errors.Is(err, ErrStart) {
		t.Fatalf("exiting at once: %v, want ErrStart", err)
	}
	if _, err := Start("/bin/sleep", []string{"30"}, io.Discard, 200*time.Millisecond); !errors.Is(err, ErrStart) {
		t.Fatalf("never listening: %v, want ErrStart", err)
	}
}

func TestStartReadsAddressesAndStops(t *testing.T) {
	script := `echo 'msg="admin listening" addr=127.0.0.1:9' >&2; echo 'msg=listening addr=127.0.0.1:8' >&2; exec sleep 30`
	var log strings.Builder
	p, err := Start("/bin/sh", []string{"-c", script}, &log, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if p.Addr != "127.0.0.1:8" || p.Admin != "127.0.0.1:9" {
		t.Fatalf("addr %q admin %q", p.Addr, p.Admin)
	}
	if err := p.Stop(5 * time.Second); err == nil || errors.Is(err, ErrKilled) {
		t.Fatalf("stop: %v, want a SIGTERM exit status", err)
	}
	if !strings.Contains(log.String(), "listening") {
		t.Fatalf("log not copied: %q", log.String())
	}
}

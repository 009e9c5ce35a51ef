package main

import (
	"context"
	"runtime"
	"testing"
	"time"
)

// TestNoGoroutineLeakOnDisconnect: every way a connection ends releases its
// goroutines (reader, writer, and the close timers).
func TestNoGoroutineLeakOnDisconnect(t *testing.T) {
	ts := startServer(t, "-max-conns-per-addr", "1000")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	flip(t, ctx, ts.dial(ctx), 1) // warm up: pools, timers, the first snapshot
	base := runtime.NumGoroutine()
	for round := range 3 {
		for i := range 100 {
			p := ts.dial(ctx)
			switch i % 3 {
			case 0:
				p.Close() // clean close handshake
			case 1:
				p.Conn.CloseNow() // vanish without a close frame
			case 2:
				_ = p.WriteRaw(ctx, []byte{0x7f}) // protocol error: the server closes
				p.Conn.CloseNow()
			}
		}
		deadline := time.Now().Add(20 * time.Second)
		for runtime.NumGoroutine() > base+5 && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > base+5 {
			buf := make([]byte, 1<<20)
			t.Fatalf("round %d: %d goroutines, %d before the connections\n%s", round, n, base, buf[:runtime.Stack(buf, true)])
		}
	}
}

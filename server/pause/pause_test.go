package pause_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"checkgrid/server/pause"
)

// A retry loop that ends with its context, not a delay later.
func ExampleFor() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tries := 0
	for {
		tries++
		if tries == 3 {
			cancel() // say, the server is shutting down
		}
		if !pause.For(ctx, time.Millisecond) {
			break
		}
	}
	fmt.Println("tries:", tries)
	// Output: tries: 3
}

func TestForEndsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan bool)
	go func() { done <- pause.For(ctx, time.Hour) }()
	cancel()
	if <-done {
		t.Fatal("For waited out an hour after its context ended")
	}
}

func TestForWaitsItsDuration(t *testing.T) {
	start := time.Now()
	if !pause.For(context.Background(), 20*time.Millisecond) {
		t.Fatal("For reported an ended context")
	}
	if time.Since(start) < 20*time.Millisecond {
		t.Fatal("For returned before its duration")
	}
}

func TestForZeroOrLess(t *testing.T) {
	if !pause.For(context.Background(), 0) || !pause.For(context.Background(), -time.Second) {
		t.Fatal("For of no duration on a live context reported it ended")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if pause.For(ctx, 0) {
		t.Fatal("For of no duration on an ended context reported it live")
	}
}

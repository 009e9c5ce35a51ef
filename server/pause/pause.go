package pause

import (
	"context"
	"time"
)

// For waits d unless ctx ends first; false means ctx ended. A d of zero
// or less returns at once, true unless ctx has ended.
func For(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

package throttle

import "time"

// Cooldown is a deadline before which the player may not toggle, and the
// message that says why.
type Cooldown struct {
	until   time.Duration
	Message string
}

// Start makes the cooldown last until now+d with message msg, unless it
// already lasts longer.
func (c *Cooldown) Start(now, d time.Duration, msg string) {
	if now+d > c.until {
		c.until = now + d
	}
	c.Message = msg
}

// Remaining is how long the cooldown still lasts, 0 once it is over.
func (c *Cooldown) Remaining(now time.Duration) time.Duration {
	if now >= c.until {
		return 0
	}
	return c.until - now
}

// Active reports whether toggles are refused at now.
func (c *Cooldown) Active(now time.Duration) bool { return now < c.until }

// Shown is the message to show at now: kept for a moment after the
// cooldown ends so a short one can still be read.
func (c *Cooldown) Shown(now time.Duration) string {
	if now >= c.until+MessageLinger {
		return ""
	}
	return c.Message
}

// MessageLinger keeps a message on screen after its cooldown: a 50 ms
// cooldown would otherwise flash text nobody can read.
const MessageLinger = 1500 * time.Millisecond

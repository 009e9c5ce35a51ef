package throttle

import (
	"fmt"
	"time"
)

// Source is who refused the player's change: it is named in the message,
// so a player knows whether the client or the server held them back.
type Source uint8

// Sources.
const (
	None       Source = iota
	Ours              // the client's own bucket ran dry
	Server            // a Reject for a rate limit (the player's or the address's)
	Storage           // a Reject because the server cannot save right now
	Overload          // a Reject because the server is shedding load
	Connecting        // no connection or no snapshot yet
	Frozen            // a Reject because the operator froze the area
	Banned            // a Reject because the operator banned the player or address
)

func (s Source) String() string {
	switch s {
	case None:
		return "none"
	case Ours:
		return "ours"
	case Server:
		return "server"
	case Storage:
		return "storage"
	case Overload:
		return "overload"
	case Connecting:
		return "connecting"
	case Frozen:
		return "frozen"
	case Banned:
		return "banned"
	}
	return fmt.Sprintf("Source(%d)", uint8(s))
}

// Cooldown is one rate-limit episode: from its start until its deadline
// the player's changes are refused, and one message says why. Refusals
// during an episode extend it but never change its message, so the player
// reads one quip per episode, not a new one every few hundred ms.
type Cooldown struct {
	from, until time.Duration
	source      Source
	message     string
	active      bool // an episode was started and its message not yet gone
}

// Start begins an episode at now lasting d, from source, with the message
// msg returns; msg is called only when a new episode begins (so a quip
// rotation advances once per episode). If an episode is still running, it
// is extended to now+d if that is later, keeping its message; a server
// refusal during our own episode takes over its source and message, since
// it is the stronger news.
func (c *Cooldown) Start(now, d time.Duration, src Source, msg func() string) {
	running := c.active && now < c.until
	switch {
	case !running:
		c.from, c.until, c.source, c.message, c.active = now, now+d, src, msg(), true
	case c.source != src && src != Ours && src != Connecting:
		c.source, c.message = src, msg()
		fallthrough
	default:
		c.until = max(c.until, now+d)
	}
}

// Remaining is how long the episode still lasts, 0 once it is over.
func (c *Cooldown) Remaining(now time.Duration) time.Duration {
	if now >= c.until {
		return 0
	}
	return c.until - now
}

// Total is the episode's whole length so far (start to deadline): the
// countdown bar's full width.
func (c *Cooldown) Total() time.Duration { return c.until - c.from }

// Active reports whether changes are refused at now.
func (c *Cooldown) Active(now time.Duration) bool { return c.active && now < c.until }

// Shown is the episode's source and message at now: kept for a moment
// after the deadline so a short one can still be read, then None and "".
func (c *Cooldown) Shown(now time.Duration) (Source, string) {
	if !c.active || now >= c.until+MessageLinger {
		return None, ""
	}
	return c.source, c.message
}

// MessageLinger keeps a message on screen after its cooldown: a 50 ms
// cooldown would otherwise flash text nobody can read.
const MessageLinger = 1500 * time.Millisecond

package throttle

// quipCount is the number of rate-limit messages: more than a dozen, so a
// player who keeps hitting the limit keeps getting new ones.
const quipCount = 16

// allQuips returns the rate-limit messages (a function, not a package
// variable, so nothing can change them).
func allQuips() [quipCount]string {
	return [quipCount]string{
		"Whoa there, speedy fingers!",
		"The checkboxes need a breather.",
		"Easy, tiger. The grid isn't going anywhere.",
		"Your clicking is legendary. Also: too fast.",
		"Slow down! You're making the other boxes nervous.",
		"Cooldown! Go stretch your wrist.",
		"Even the fastest clicker in the west has to reload.",
		"Too much enthusiasm detected.",
		"Hold your horses (and your mouse).",
		"The boxes will still be here in a second.",
		"Breathe in. Breathe out. Now click.",
		"That's a lot of boxes. Pace yourself.",
		"Click responsibly.",
		"Rate limited. It's not you, it's physics.",
		"Take five. Well, take a second.",
		"Patience is also a checkbox. Check it.",
	}
}

// Quips hands out rate-limit messages in an order shuffled by a seed, never
// the same one twice in a row.
type Quips struct {
	quips [quipCount]string
	order [quipCount]uint8
	next  int
	state uint64
}

// NewQuips returns a rotation seeded by seed (any value; the time will do).
func NewQuips(seed uint64) *Quips {
	q := &Quips{quips: allQuips(), state: seed | 1}
	for i := range q.order {
		q.order[i] = uint8(i)
	}
	q.shuffle()
	return q
}

// Len is the number of distinct messages.
func (q *Quips) Len() int { return quipCount }

// Next returns the next message.
func (q *Quips) Next() string {
	if q.next == len(q.order) {
		last := q.order[len(q.order)-1]
		q.shuffle()
		if q.order[0] == last {
			// Never repeat across a reshuffle either.
			q.order[0], q.order[len(q.order)-1] = q.order[len(q.order)-1], q.order[0]
		}
		q.next = 0
	}
	s := q.quips[q.order[q.next]]
	q.next++
	return s
}

// shuffle is Fisher–Yates driven by xorshift64: deterministic for a seed,
// and without math/rand's global state.
func (q *Quips) shuffle() {
	for i := len(q.order) - 1; i > 0; i-- {
		q.state ^= q.state << 13
		q.state ^= q.state >> 7
		q.state ^= q.state << 17
		j := int(q.state % uint64(i+1))
		q.order[i], q.order[j] = q.order[j], q.order[i]
	}
}

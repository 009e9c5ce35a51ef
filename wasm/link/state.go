package link

import "fmt"

// State is the connection's phase, as the player sees it.
type State uint8

// States.
const (
	Connecting   State = iota // first dial, nothing received yet
	Connected                 // a WebSocket is open
	Reconnecting              // lost it; waiting out the backoff or dialling
	Failed                    // the server said not to reconnect; reload needed
)

func (s State) String() string {
	switch s {
	case Connecting:
		return "connecting"
	case Connected:
		return "connected"
	case Reconnecting:
		return "reconnecting"
	case Failed:
		return "failed"
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// Event is one thing that happened on the connection: a state change
// (Frame == nil) or a received frame, which then belongs to the receiver.
type Event struct {
	State State
	Frame []byte
	// Err says why the connection was lost (Reconnecting, Failed).
	Err error
}

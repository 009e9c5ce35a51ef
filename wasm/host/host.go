package host

import "checkgrid/wasm/deeplink"

// Config is how the client starts.
type Config struct {
	// Server is the WebSocket URL of the server's /ws.
	Server string
	// View is the view a deep link asked for, nil for the whole grid.
	View *deeplink.View
}

// Published is what the game reports every frame (the test hooks in the
// browser).
type Published struct {
	Ready    bool   // the first Snapshot is applied and a frame was drawn
	State    string // "connecting", "connected", "reconnecting", "failed"
	Seq      uint64
	Checked  int
	Online   int
	Frames   int // frames drawn
	Rejected int
	Message  string
}

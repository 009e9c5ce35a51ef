package host

import (
	"fmt"

	"checkgrid/wasm/deeplink"
)

// Config is how the client starts.
type Config struct {
	// Server is the WebSocket URL of the server's /ws.
	Server string
	// View is the view a deep link asked for, or the place the page's first
	// frame showed; nil to land at the busiest place once synced.
	View *deeplink.View
}

// Published is what the game reports every frame (the test hooks in the
// browser, the live region a screen reader announces, the toolbar's state).
type Published struct {
	Ready    bool   // the first Snapshot is applied and a frame was drawn
	State    string // "connecting", "connected", "reconnecting", "failed"
	Live     bool   // connected and synced: the grid shown is the server's now
	Seq      uint64
	Checked  int
	Online   int
	Frames   int // frames drawn
	Rejected int
	Message  string
	Limit    string  // whose limit the message is about: "ours", "server", … ("none")
	Zoom     float64 // CSS pixels per box
	CentreX  int     // the box at the centre of the view
	CentreY  int
	WorldX   float64 // the world point at the centre (box units)
	WorldY   float64
	Draw     bool   // draw mode is on
	Keyboard bool   // keyboard mode is on
	Cursor   int    // the keyboard cursor's box (y*1000+x)
	Missing  string // runes printed that the font has no glyph for
}

// CommandKind is what a page control asks the game to do.
type CommandKind uint8

// Commands from the browser's toolbar (the desktop has keys for each).
const (
	CommandJump     CommandKind = iota // centre the box in Text
	CommandFit                         // whole grid, or back to real boxes
	CommandDraw                        // draw mode on/off
	CommandKeyboard                    // keyboard mode on/off
)

func (k CommandKind) String() string {
	switch k {
	case CommandJump:
		return "jump"
	case CommandFit:
		return "fit"
	case CommandDraw:
		return "draw"
	case CommandKeyboard:
		return "keyboard"
	}
	return fmt.Sprintf("CommandKind(%d)", uint8(k))
}

// Command is one press of a page control.
type Command struct {
	Kind CommandKind
	Text string // CommandJump: what the player typed
}

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
	// AdminToken is the operator token the page was opened with
	// (#admin=<token> on the admin listener, then the tab's
	// sessionStorage): the game becomes the operator's console. "" for
	// a player.
	AdminToken string
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
	// Budget is the click budget left, 0 to 1, in steps of 1/32 (the HUD's
	// meter; the page's <meter> says it to screen readers).
	Budget float64
	// Announcement is the operator's message on screen ("" for none).
	Announcement string
	// Time is the time machine's state (the toolbar's scrubber).
	Time TimeStatus
	// Away is what changed while the player was away.
	Away AwayStatus
	// HoverInfo is the hover label's history line: when the hovered box
	// last changed and how often ("" until known, or not hovering).
	HoverInfo string
	// Operator is the console's state (zero for a player).
	Operator OperatorStatus
}

// OperatorStatus is the operator console's state: the page shows its
// panel while On and says Said in the live region when it changes.
type OperatorStatus struct {
	On        bool   // the token was accepted: the moderation tool is there
	Refused   bool   // the token was refused: no tool
	Selecting bool   // the next drag on the grid selects a rectangle
	Area      string // the selected rectangle, "x,y,w,h" ("" for none)
	Preview   int    // boxes the previewed rollback would change (-1: no preview)
	To        uint64 // the previewed rollback's seq
	Busy      bool   // an action is in flight
	Done      int    // actions answered, ok or not
	Said      string // the last action's outcome in words
	Seq       uint64 // the last action that changed boxes: the seq of its change
}

// AwayStatus is "while you were away": the boxes changed between the seq
// the player last saw on this device and the first one of this visit.
type AwayStatus struct {
	Since   uint64 // the seq last seen (0: none, or a first visit)
	Seen    uint64 // the seq last recorded as seen during this visit
	Changed int    // boxes changed since (-1 until known)
	InView  int    // of them, on screen now
}

// TimeStatus is what the page's time machine panel shows.
type TimeStatus struct {
	Mode       string // "live", "paused", "playing" (timeline.Mode)
	At         int64  // the playhead, Unix milliseconds (0 when live)
	Start, End int64  // the scrubber's ends, Unix milliseconds (0: not known yet)
	Seq        uint64 // the seq of the grid shown in the past
	Speed      int    // index into timeline.Speeds
	Label      string // the playhead as the player reads it
	Shown      int    // playback frames shown since the client started
}

// CommandKind is what a page control asks the game to do.
type CommandKind uint8

// Commands from the browser's toolbar (the desktop has keys for each).
const (
	CommandJump     CommandKind = iota // centre the box in Text
	CommandFit                         // the whole grid, always
	CommandDraw                        // draw mode on/off
	CommandKeyboard                    // keyboard mode on/off
	CommandZoomIn                      // zoom in at the centre
	CommandTime                        // open the time machine, or back to live
	CommandSeek                        // show the moment Value (Unix ms), paused
	CommandPlay                        // play or pause the past
	CommandSpeed                       // playback speed Value (index into timeline.Speeds)
	CommandLive                        // back to the live grid
	CommandReplay                      // replay what changed while the player was away
	CommandOperator                    // the operator console's action Text ("select", "preview", …); Value: the seq typed
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
	case CommandZoomIn:
		return "zoom-in"
	case CommandTime:
		return "time"
	case CommandSeek:
		return "seek"
	case CommandPlay:
		return "play"
	case CommandSpeed:
		return "speed"
	case CommandLive:
		return "live"
	case CommandReplay:
		return "replay"
	case CommandOperator:
		return "operator"
	}
	return fmt.Sprintf("CommandKind(%d)", uint8(k))
}

// Command is one press of a page control.
type Command struct {
	Kind  CommandKind
	Text  string // CommandJump: what the player typed
	Value int64  // CommandSeek: Unix ms; CommandSpeed: the speed's index
}

// The desktop window.
const (
	// windowW×windowH is what the window asks for: a laptop's screen.
	windowW, windowH = 1280, 800
	// windowShare is the most of a smaller screen it takes, leaving room
	// for the desktop's panels and the window's title bar (a 1280×800
	// window on a 1024×768 screen lost its minimap and help line).
	windowShare = 0.9
)

// WindowSize is the size the desktop window opens at on a screenW×screenH
// screen (device-independent pixels; 0 when unknown): windowW×windowH, or
// windowShare of a smaller screen.
func WindowSize(screenW, screenH int) (w, h int) {
	w, h = windowW, windowH
	if screenW > 0 {
		w = min(w, int(float64(screenW)*windowShare))
	}
	if screenH > 0 {
		h = min(h, int(float64(screenH)*windowShare))
	}
	return w, h
}

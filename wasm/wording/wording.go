package wording

// What the HUD prints that is not built from numbers (the *Fmt strings
// take them).
const (
	Title           = "a million checkboxes"
	StateConnecting = "connecting…"
	StateSyncing    = "syncing…"
	Stale           = "offline: these counts are stale"
	Lost            = "Connection lost: the grid is frozen"
	Lost2           = "Reconnecting by itself… clicks are paused until then."
	Failed          = "Disconnected. Please reload the page."
	HintMouse       = "Click a box to check it · drag to move · scroll to zoom"
	HintTouch       = "Tap a box to check it · drag to move · pinch to zoom"
	HintZoom        = "Click anywhere to zoom in there"
	HintZoomT       = "Tap anywhere to zoom in there"
	PromptHelp      = "a box number (0–999999) or column,row · Enter: go · Esc: cancel"
	HelpMouse       = "drag: move · wheel or +/−: zoom · Shift+drag or P: draw · F: fit · G: jump · K: keyboard · F3: debug"
	HelpTouch       = "tap: check · drag: move · pinch: zoom · Draw: paint with a finger"
	HelpDraw        = "DRAW MODE: drag to paint boxes (P or Draw to stop)"
	HelpDrawTouch   = "DRAW MODE: drag to paint boxes (tap Draw to stop)"
	HelpKeys        = "KEYBOARD: arrows move the cursor · Space: check · Enter: jump · +/−: zoom · Esc: leave"
	GoAhead         = "Go ahead."
	BackInFmt       = "Back in %.1f s."
	CountersFmt     = "%s checked · %s online"
	// Presence (version 2): other players looking near the view.
	NearFmt     = "%d players near you"
	NearMoreFmt = "%d+ players near you"
	NearOne     = "1 player near you"
	NearSome    = "someone near you"
	NearNone    = "no one else near you"
	HoverFmt    = "box %d · column %d, row %d"
	JumpFmt     = "Jump to box: %s_"
)

// Help is the help line for a player in keyboard mode, draw mode, both or
// neither, with a finger (touch) or a mouse: a finger gets no key names,
// since a phone has no keyboard to press them on.
func Help(keyboard, draw, touch bool) string {
	switch {
	case keyboard:
		return HelpKeys
	case draw && touch:
		return HelpDrawTouch
	case draw:
		return HelpDraw
	case touch:
		return HelpTouch
	}
	return HelpMouse
}

// What the session says during a rate-limit or connection episode.
const (
	Connecting     = "Hang on, still connecting…"
	Storage        = "The grid is saving its breath (storage trouble)."
	StorageWhy     = "The server cannot save changes right now."
	Overload       = "So many players! The server needs a moment."
	OverloadWhy    = "The server is busy with many players."
	ServerWhyFmt   = "The server refused %d: over your limit of %d boxes a second."
	AddressWhyFmt  = "The server refused %d: your network is over its shared limit."
	OursBoxesFmt   = "checkgrid's own limit: %.0f boxes a second."
	OursClicksFmt  = "checkgrid's own limit: %.0f clicks a second."
	VersionMessage = "A new version of checkgrid is out. Please reload the page."
	// The operator's moderation (Reject frozen, banned).
	Frozen       = "This area is frozen by the operator."
	FrozenWhy    = "Boxes here cannot be changed for now; elsewhere you can play."
	Banned       = "You are banned from changing boxes."
	BannedWhy    = "You can still watch the grid."
	BannedEndFmt = "You can still watch the grid. The ban ends in %s."
	// The operator's announcement banner.
	AnnounceDismiss      = "Click here to dismiss."
	AnnounceDismissTouch = "Tap here to dismiss."
)

// All lists every string above, for the glyph test.
func All() []string {
	return []string{
		Title,
		StateConnecting,
		StateSyncing,
		Stale,
		Lost,
		Lost2,
		Failed,
		HintMouse,
		HintTouch,
		HintZoom,
		HintZoomT,
		PromptHelp,
		HelpMouse,
		HelpTouch,
		HelpDraw,
		HelpDrawTouch,
		HelpKeys,
		GoAhead,
		BackInFmt,
		CountersFmt,
		NearFmt, NearMoreFmt, NearOne, NearSome, NearNone,
		HoverFmt,
		JumpFmt,
		Connecting, Storage, StorageWhy, Overload, OverloadWhy, ServerWhyFmt, AddressWhyFmt,
		OursBoxesFmt, OursClicksFmt, VersionMessage,
		Frozen, FrozenWhy, Banned, BannedWhy, BannedEndFmt,
		AnnounceDismiss, AnnounceDismissTouch,
	}
}

package wording

// What the time machine's panel prints (issue 21). The *Fmt strings take
// the moment, as the player's clock reads it.
const (
	PastFmt       = "The past · %s"
	PastPlayFmt   = "The past · %s · playing at %s"
	PastLoading   = "The past · loading…"
	PastReadOnly  = "Read-only: clicks change nothing here. Live returns to now."
	PastReadTouch = "Read-only: taps change nothing here. Live returns to now."
	PastKeys      = "[ ]: step · Enter: play/pause · , .: speed · T: live"
	PastErrorFmt  = "History could not be read: %s"
	// While you were away: boxes changed on screen, and in all.
	AwayFmt         = "While you were away: %s boxes changed here, %s in all"
	AwayReplay      = "R or Replay: watch it happen"
	AwayReplayTouch = "Tap Replay to watch it happen"
	// The hover label: when the box last changed and how often.
	BoxInfoFmt     = "last changed %s · %d changes"
	BoxOnceFmt     = "last changed %s · 1 change"
	BoxNever       = "never changed"
	BoxNotKept     = "not changed in the kept history"
	BoxWhenUnknown = "at an unknown time"
	// TimeLayout is how a moment is written: the weekday and date, then
	// the time to the second in the player's own zone.
	TimeLayout = "Mon 2 Jan 2006 15:04:05"
)

// TimeAll lists the strings above, for the glyph test.
func TimeAll() []string {
	return []string{PastFmt, PastPlayFmt, PastLoading, PastReadOnly, PastReadTouch, PastKeys, PastErrorFmt, AwayFmt, AwayReplay, AwayReplayTouch,
		BoxInfoFmt, BoxOnceFmt, BoxNever, BoxNotKept, BoxWhenUnknown, TimeLayout}
}

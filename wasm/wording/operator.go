package wording

// What the operator console (the client opened with the operator token)
// prints and says.
const (
	OpTitle        = "Operator console"
	OpChecking     = "checking the token…"
	OpRefused      = "The operator token was refused: no console."
	OpFiguresFmt   = "%s players · %s connections · %s bots"
	OpRatesFmt     = "%.1f toggles/s · fan-out p99 %s"
	OpRatesNone    = "%.1f toggles/s · fan-out p99 –"
	OpDiskFmt      = "data %s · disk %s free of %s"
	OpTopToggled   = "most boxes changed (1–2 min):"
	OpTopRefused   = "most boxes refused (1–2 min):"
	OpTopLineFmt   = "  %s %s: %d changed, %d refused"
	OpSelecting    = "Drag across the grid to select a rectangle."
	OpAreaFmt      = "Selected %d×%d boxes at column %d, row %d"
	OpNoArea       = "Select a rectangle first."
	OpNoMoment     = "Type the seq to roll back to (or open Time at that moment)."
	OpPreviewFmt   = "Rollback to seq %d would change %s boxes. Left: now · right: then."
	OpRolledFmt    = "Rolled back %s boxes to seq %d (now at seq %d)."
	OpFilledFmt    = "Checked %s boxes (seq %d)."
	OpClearedFmt   = "Cleared %s boxes (seq %d)."
	OpFrozenFmt    = "Froze the rectangle (freeze %d)."
	OpUnfrozenFmt  = "Lifted %d freezes of the rectangle."
	OpFailedFmt    = "The server refused: %s"
	OpBusy         = "working…"
	OpFreezeReason = "frozen by the operator"
)

// OperatorAll lists the strings above, for the glyph test.
func OperatorAll() []string {
	return []string{OpTitle, OpChecking, OpRefused, OpFiguresFmt, OpRatesFmt, OpRatesNone, OpDiskFmt, OpTopToggled, OpTopRefused,
		OpTopLineFmt, OpSelecting, OpAreaFmt, OpNoArea, OpNoMoment, OpPreviewFmt, OpRolledFmt, OpFilledFmt, OpClearedFmt,
		OpFrozenFmt, OpUnfrozenFmt, OpFailedFmt, OpBusy, OpFreezeReason}
}

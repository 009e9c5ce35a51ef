// Package wording holds every fixed string the client prints (the HUD's
// texts and the session's rate-limit and connection messages; the quips
// are package throttle's), so one test can check that the font has a
// glyph for each of them: a missing "…" once printed as a blank.
//
// Entry points: the constants; All lists them.
//
// Constants only: safe for concurrent use.
package wording

// Package throttle keeps the player inside the server's rate limit and tells
// them, playfully, when they are not.
//
// Entry points: Bucket (a token bucket the client spends one token per box
// from, configured from Welcome a little below the server's limit, so normal
// clicking never meets a Reject); Cooldown (until when toggles are refused,
// after the bucket ran dry or the server sent Reject's retry-after: one
// episode, one message, one Source named); Quips (a never-repeating-in-a-row
// rotation of rate-limit messages, one per episode).
//
// The server enforces the real limit; these only spare the player the round
// trip. All types are plain values for one goroutine.
package throttle

// Package session is the client's game logic between the network and the
// screen: it applies the server's frames to the board in seq order, turns
// the player's clicks into optimistic changes and batched Set frames within
// the rate limit, and keeps the counters and messages the HUD shows.
//
// Entry points: New; Link tells it the connection's state; Handle applies
// one received frame (an error means the frame was bad: drop the
// connection); Toggle and Paint record the player's changes; Tick settles
// expired optimistic changes; Outbox hands over the frames to send (one Set
// per call, sorted, at most Welcome's MaxSetBoxes boxes, plus any
// ResyncRequest); Status and Message report what the player should see.
//
// Flow: Connected → Welcome (limits) → Snapshot (synced) → Delta … . A Delta
// out of seq, or one arriving unsynced, queues one ResyncRequest and every
// later Delta is ignored until the next Snapshot; a Resync frame does the
// same without the request. A Reject reverts its boxes and starts a
// cooldown with a fresh quip.
//
// A Session is not safe for concurrent use; the game loop owns it. It does
// no I/O and never blocks.
package session

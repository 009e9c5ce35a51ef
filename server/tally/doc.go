// Package tally counts, per player and per address, the boxes each one
// changed and had refused over the last minute or two, for the operator's
// top lists (GET /api/admin/top, issue 23): who is drawing most, and who
// keeps being refused (a bot farm, a banned vandal trying again).
//
// Entry points: New; Tally.Count (the hub's reader goroutines, once per
// Set frame, through hub.Config.Tally); Tally.Top (the admin API).
//
// Flow: keys are spread over shards by hash, each a mutex and two maps
// (this window and the one before); a Count in a new window rotates its
// shard, so a list covers between one and two windows. Memory is bounded:
// a shard keeps at most maxKeys keys a window, and counts for keys past
// that go to Top's Untracked instead of being lost silently.
//
// No goroutines of its own; safe for concurrent use.
package tally

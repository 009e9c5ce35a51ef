// Package hub follows the committed history and serves every player
// connection: the grid at seq, the fan-out, areas, presence, limits.
//
// Entry points: New builds a Hub that follows an Upstream (follower.go:
// the process's own pipeline.Sequencer, or a cluster node); Run runs it
// until its context ends; Go serves one accepted connection through the
// Socket port (port.go; server/wsconn implements it); Snapshot and Stats
// answer the HTTP API; Period and Behind pace the sequencer
// (pipeline.Pacer).
//
// The hub does not sequence: it has no tick loop, no collector and no
// log. Players' Sets go to Upstream.Submit; what the upstream commits
// comes back on its feed as pipeline.Committed steps (a Delta's exact
// bytes with the boxes it flips, or a reset), the same in both modes.
//
// Goroutines and what each owns:
//
//	publisher  (hub.go)    Run's goroutine, the one owner of the grid at seq:
//	                       each committed step ─► apply to the grid at seq
//	                       ─► wrap once in a WebSocket header ─► one command
//	                       per sender (follower.go). It also serves joins,
//	                       resyncs, Viewports, snapshots, Stats, pings and
//	                       the sweep that ends stalled or silent clients.
//	senders    (sender.go) one per core; each owns its clients' places in the
//	                       broadcast set and writes each broadcast's bytes to
//	                       each member through its outbox (outbox.go), a
//	                       non-blocking write while the socket takes it.
//	reader     (conn.go)   one per connection: decodes frames, spends the
//	                       message budget (budget.go), applies the gate and
//	                       rate limits and submits boxes upstream. Over a
//	                       Waiter (port.go) it parks the connection
//	                       whenever there is nothing to read: no reader
//	                       goroutine then, and the Socket's poller hands
//	                       what the client sends to message (conn.go), on
//	                       the poller's goroutine, until a frame it does
//	                       not read resumes the reader. Where it cannot
//	                       park, it waits on little stack (handOverAfter).
//	flusher    (outbox.go) only while a client's socket is full: writes its
//	                       queue out as the socket drains, then exits.
//
// A client's view is Snapshot(S) followed by exactly S+1, S+2, …: the
// publisher queues a join's Welcome and Snapshot(S) to the client's sender
// between the broadcasts of S and S+1, and a sender handles its commands in
// order.
//
// A client whose queue overflows (Config.OutboxFrames frames behind a full
// socket) misses nothing silently: its sender drops it from the broadcast
// set; once its flusher has written out what was queued, the publisher
// sends Resync and a fresh Snapshot and it rejoins. Too many resyncs in a
// window, or a socket that takes nothing for WriteTimeout, end the
// connection with protocol.CloseTooSlow. Every drop, resync and disconnect
// is counted by reason in metrics.Metrics.
//
// While the upstream cannot commit (Writable false: the log refuses
// appends, or no sequencer is reachable), Sets are refused with
// RejectStorage and players keep seeing the grid at seq.
//
// On shutdown the upstream stops first; Run publishes what its feed
// already holds, the senders finish, and every client is closed with
// CloseGoingAway after what is queued for it is written.
//
// Version 2 (viewport.go): a client that asked for ?v=2 with an area is
// not a broadcast member but in the publisher's zone index (server/zone).
// After each published Delta the index hands each client whose area holds
// some of the flips its AreaDelta (encoded once per area, its prev seq
// patched in), passed to the clients' senders as one cmdToEach per sender;
// others get nothing. Viewports coalesce in the reader and are applied by
// the publisher (at most one per Config.ViewportInterval, within
// Config.AreaBudget boxes of snapshot) by sendView, the one path of a
// join, a resync and a move (resync.go): a cmdToClient (leave the
// broadcast set, then the AreaSnapshot at the published seq) through the
// client's sender, so the order is that of a join. Areas over a quarter
// of the grid get the shared Snapshot and Deltas. Presence goes to
// version-2 clients with Stats, only when it changed.
//
// Announcements (announce.go, version 3): Announce hands the operator's
// message to the publisher, which sends it to every version-3 client as a
// cmdTo and after the snapshot of every version-3 client that joins while
// it is up.
//
// Lanes (lane.go): a bot's connection (server/bots) carries a Lane, its
// token's quota, which replaces the player and address buckets on the Set
// path; its flips and connections are counted apart (Stats.BotToggles,
// Stats.Bots, not in Online), and the lane can kill it (revocation).
//
// Tally (tally.go): with Config.Tally set, each Set frame's boxes changed
// and refused are counted per player and address for the operator's top
// lists (server/tally), on the reader's goroutine.
//
// Version 3 (pace.go): a whole-grid client quiet for Config.PassiveAfter
// joins one of PaceTicks phases and moves, when that phase is next due,
// from the broadcast set to its sender's paced set for the phase; each
// Delta is due for one phase (seq mod PaceTicks), whose set is written one
// shared DeltaRange (the net change of its last PaceTicks Deltas) instead
// of every Delta, so passive writes are spread over the ticks. A Set or
// Viewport wakes it (reader → publisher), and a catch-up DeltaRange puts it
// back in the broadcast set before the next Delta. Both moves are cmdPace
// commands, ordered with the broadcasts like a join.
//
// Riders (ride.go): Stats and pings cost the broadcast set no write of
// their own; they go out in the same buffer as the next Delta (alone after
// a tick without one). Version-2 clients outside the set get Stats and
// Presence as one buffer each, a round spread over a few ticks.
//
// Fan-out time is measured per sender, from a Delta handed over to its last
// write (metrics fanout_seconds; area_fanout_seconds for AreaDeltas).
package hub

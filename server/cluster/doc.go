// Package cluster lets many checkgrid nodes serve one grid through NATS
// JetStream, with the single process's guarantees: one order of changes,
// no seen change lost, exact client state.
//
// Entry points: Open connects a Node (and creates the stream and buckets
// the first time); Node.Run runs it until its context ends; a Node is the
// hub's Upstream (hub.New): Feed (pipeline.Committed steps, each Delta
// with the boxes it flips, decoded once here), Writable, Submit, Online.
// Collectors exposes its metrics.
//
// Flow:
//
//	player Set ─► edge node's limits ─► forwarder (whole Sets batched, one request in flight)
//	  ─► checkgrid.set.<sequencer> ─► the lease holder's pipeline.Sequencer
//	     (streamLog.Gather between ticks) ─► tick: Delta last+1 ─► streamLog.Append:
//	     publish to CHECKGRID with Nats-Expected-Last-Sequence=last, Nats-Msg-Id=epoch-seq,
//	     Checkgrid-Batches naming the batches it holds
//	  ─► quorum ack ─► the batches' requests answered (not before)
//	  ─► RePublish to checkgrid.live ─► every node's feed
//	  ─► (gap? backfill from the stream; behind first seq? snapshot) ─► hub ─► players
//
// Every Set a node accepts ends within AcceptBound (PROTOCOL.md,
// invariant 7): its batch is answered after commit, or the node's feed
// shows it committed, or its boxes go back to the hub as lost and the
// player gets Reject storage. A batch retried to a new sequencer is not
// applied twice: the sequencer starts from the feed's record of the
// newest batch each forwarder had committed (the Delta headers).
//
// Starting: every step a node takes against JetStream before it serves
// (Open's stream and buckets, the history epoch, the identity key, the
// keyframe bucket, the operator's shared documents) is retried through
// untilUp until it succeeds or the caller's context ends, so a node
// restarted while a JetStream server restarts or a quorum re-forms comes
// up once JetStream answers, instead of exiting.
//
// Catching up: the feed pulls the stream through an ordered consumer in
// batches of fetchBatch, applying to its replica alone; a catch-up longer
// than resetAbove (and the first one, before the hub runs) reaches the
// hub as one reset, so start-up memory is the grid plus one batch, and
// nothing waits on a hub that is not draining yet.
//
// Files: lease.go (the KV lease and its epoch), sequencer.go (one tenure's
// streamLog: the Log and Gatherer the lease holder runs the single
// process's pipeline.Sequencer with; fencing, expiry, snapshots), feed.go (the replica: snapshot, live, backfill),
// forward.go (Set batches and the lease watch), counters.go (online
// counts), setup.go (connection, stream and buckets), node.go (wiring),
// historylog.go (HistoryLog: the stream and the keyframe bucket as
// server/history.Stream reads them; history's logic lives there, so this
// package needs no chain or keyframe code), shared.go (the operator's
// state every node shares: JSON documents under keys of the KV bucket
// checkgrid_moderation, changed by compare-and-set, each watched by every
// node on a goroutine of its own), impose.go (the operator's box changes:
// any node sends the sequencer an operator batch, an AreaSnapshot of the
// area as wanted, on checkgrid.impose.<sequencer>; the sequencer applies
// it between ticks and answers {"boxes", "seq"} or {"error"} in JSON once
// the Delta holding it is committed), moderation.go (the freezes and bans,
// Node.Moderation), announce.go (the announcement, Node.Announcements),
// bots.go (the bot tokens, Node.Bots).
//
// The stream is history's log of record: by default it keeps every Delta
// (Config.Retain, MaxBytes and MaxAge are its limits).
//
// Concurrency: the feed's replica belongs to its goroutine (the sequencer
// asks it for a copy over a channel); the sequencer's grid to its
// pipeline.Sequencer's Run, which calls the streamLog; the Committed steps
// that Sequencer emits are drained and dropped (every node follows the
// stream);
// Submit and Writable are safe from any goroutine and never block.
package cluster

// Package announce keeps the operator's announcement (issue 23): the one
// message that is up for every player, persisted so that a restart does
// not take it down, and, in cluster mode, shared by every node.
//
// Entry points: Open (the single process: <data>/announcement.json, or
// none); NewShared (cluster mode: the record lives in a Store, a
// JetStream KV key in server/cluster, and every node takes each record
// written through Adopt); Board.Post, Withdraw and Current (the admin
// API's).
//
// Flow: a change takes the writers' mutex, computes the new record from
// the newest stored one (a new announcement's id is larger than any
// before it and at least the Unix time in seconds, so one made after a
// restart is newer than any a client dismissed), writes it (the file
// atomically, or the store by compare-and-set), and only then hands it to
// the Sink (the hub: every version-3 player now, and each one joining
// while it is up). Open and NewShared hand the stored record to the Sink
// at once if it is still up, with the time it has left: its expiry is
// honoured across a restart.
//
// Record order: records are ordered by id, and one id goes from up to
// withdrawn, never back. Adopt ignores a record older than the one it
// has, so a watch that delivers a write after the node's own later one
// changes nothing.
//
// File (announcement.json, mode 0600): {"version": 1, "id": n, "text":
// "…", "until": RFC 3339}; a withdrawn or never-made announcement has no
// text and no until (the id stays, so ids keep growing). Examples (decoded
// by TestDecodeVectors): up until 19:00 UTC,
// {"version":1,"id":1764950400,"text":"Back in five minutes","until":"2026-12-05T19:00:00Z"};
// the same withdrawn, {"version":1,"id":1764950400}. An unreadable or
// invalid file fails Open: the operator must know their message is not
// up. The cluster's KV value is the same JSON object.
//
// No goroutines of its own; safe for concurrent use.
package announce

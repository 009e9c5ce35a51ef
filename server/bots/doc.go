// Package bots is the lane for programs (issue 23): operator-issued API
// tokens, each with its own quota, with which a program connects to /ws
// and toggles through the same protocol as a player, counted apart and
// revocable at once.
//
// Entry points: Open (loads <data>/bots.json, or starts empty);
// Registry.Issue, List and Revoke (the admin API's); Registry.Authenticate
// (the /ws upgrade, from the request's Authorization header), which
// returns the token's Lane: the quota every connection of that token
// draws from (it implements hub.Lane), and the hook by which Revoke cuts
// them off.
//
// Tokens: "cgbot_<id>_<64 hex digits>", 256 random bits. The file keeps
// only their SHA-256, so a copy of it lets nobody connect. Authenticate
// compares in constant time. A revoked token stays in the file (revoked_at)
// so that a program using it is told it was revoked, not that it is
// unknown.
//
// Flow of a revocation: Revoke writes the file (atomically, fsynced)
// first, then marks the lane revoked (no Set of it is taken from then on)
// and calls every open connection's cut function, which the hub turns into
// a close with protocol.CloseRevoked.
//
// File (bots.json, mode 0600): {"version": 1, "next_id": n, "tokens":
// [{"id", "name", "rate", "burst", "sha256", "at", "by", "revoked_at"
// (absent while valid)}]}. An unreadable or invalid file fails Open:
// starting without it would lock every program out, or, worse, forget
// revocations.
//
// Cluster mode (shared.go): NewShared keeps the list in a Store instead
// of the file (server/cluster: a JetStream KV key, the same JSON); Issue
// and Revoke write it there first, against the newest list, and every
// node takes each list written through Adopt, which cuts off its own
// connections of every token the list has revoked.
//
// No goroutines of its own; everything is safe for concurrent use.
package bots

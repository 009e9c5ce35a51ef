// Package moderation holds the operator's rules that the Set path obeys:
// frozen areas and bans (issue 23). Rules implements hub.Gate.
//
// Entry points: Open (loads <data>/moderation.json, or starts empty);
// Rules.Freeze, Unfreeze, Ban, Unban and List (the admin API's); Rules.Screen
// (the hub's reader goroutines, on every Set).
//
// Flow: a change (Freeze, Ban, …) takes the writers' mutex, edits the
// list, writes the whole file atomically (server/atomicfile: temp file,
// fsync, rename, directory fsync), and only then publishes a new immutable
// view (an atomic pointer): frozen boxes as one bitset (125 KB, one bit
// lookup a box), whole-grid freeze as a flag, banned players as a map and
// banned prefixes as one map per prefix length in use. Screen loads the
// view once per Set and takes no lock: with no rules it costs one atomic
// load; with bans, one map lookup per ban prefix length in use
// (BENCHMARKS.md, "Moderation on the Set path").
//
// Bans by address match the hub's address key (IPv4 /32, IPv6 /64): a ban
// on an IPv4 /16–/32 or an IPv6 /32–/64 holds for every address inside it.
// A ban with an expiry stops at it (Screen compares with the Set's time;
// expired bans are dropped from the file at the next change and at Open).
//
// File (moderation.json, mode 0600): {"version": 1, "next_id": n,
// "freezes": [{"id", "area": "x,y,w,h" or "" for the whole grid, "reason",
// "at", "by"}], "bans": [{"id", "player" or "prefix": "a.b.c.d/n",
// "until": RFC 3339 or absent (no expiry), "reason", "at", "by"}]}. Ids are
// never reused. An unreadable or invalid file fails Open: starting with no
// bans would lift them silently.
//
// Cluster mode (shared.go): NewShared keeps the list in a Store instead
// of the file (server/cluster: a JetStream KV key); a change is written
// there first, against the newest list, and every node takes each list
// written through Adopt.
//
// No goroutines of its own.
package moderation

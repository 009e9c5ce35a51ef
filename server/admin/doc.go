// Package admin is the operator's console on the admin listener (issue
// 23): the operator token, the Host check, the rate limit, the audit log
// and the /api/admin/ HTTP API (PROTOCOL.md, "Operator API"), and the
// `checkgrid admin …` command that calls it.
//
// Entry points: LoadToken or NewToken (the token: <data>/admin.token,
// made at first start, or -admin-token); OpenAudit (<data>/audit.log);
// New (the API's handler); CheckHost and NewHosts (the whole admin
// listener answers only its own address, localhost for loopback, and the
// -admin-host names: a page whose DNS rebinds to 127.0.0.1 gets 421);
// Main (the command line client).
//
// Flow of a request: CheckHost ─► rate limit (one bucket for the API,
// 10/s, bursts of 40; refusals count too) ─► token, only from the
// Authorization header ("Bearer <token>"; a cookie is never read, so a
// page on another origin cannot act with a browser's credentials) ─► the
// route. Actions that change boxes (fill, clear, rollback) are serialized
// and go through pipeline.Sequencer.Impose: the same grid and ticks as a
// player's Set, so they are sequenced, durable, in history and seen by
// every player like any change; each answers with the boxes flipped and
// the seq of the committed Delta that holds them (in cluster mode the
// Hub is the node's, which sends them to the lease holder: Node.Impose).
// Rollback reads the grid at the target seq from the History (the data
// directory's, or the cluster's history.Stream) and sets each box of the
// area to its value then.
// Freezes and bans are rules (server/moderation) the hub's Set path obeys
// from the next Set on; the operator's own changes are not held by them.
// Announcements (announce.go) are server/announce's Board: kept in the
// data directory (or the cluster's KV key) and handed to hub.Announce,
// which sends them to every version-3 player and to each one joining
// while they are up; numbered so that one made after a restart is newer
// than any a client dismissed. Bot tokens (bots.go) are server/bots'
// registry: issued with their quota, listed, revoked (the registry cuts
// the token's connections off at once); a token's secret is answered once
// and never logged. Top lists (top.go) read server/tally, which the hub
// feeds on the Set path. The console's figures (stats.go) are
// metrics.Figures, read from the /metrics registry, and the data
// directory's size.
//
// Audit log: one JSON object a line, appended and fsynced before the
// action's answer: {"time": RFC 3339 (UTC), "who": "<X-Checkgrid-Operator
// or operator>@<remote address>", "action": "fill" | "clear" | "rollback" | "freeze" | "unfreeze" | "ban" | "unban" | "announce" | "unannounce" | "bot_issue" | "bot_revoke",
// "area": "x,y,w,h", "boxes": n, "seq": n, "detail": "…", "error": "…"}
// (detail and error only when there is one). Refused requests are not
// actions: they are counted (admin_refused_total{reason}) and not logged
// there.
//
// No goroutines of its own; the handler is safe for concurrent use.
package admin

// Package session is the client's game logic between the network and the
// screen: it applies the server's frames to the board in seq order, turns
// the player's clicks into optimistic changes and batched Set frames within
// the rate limit, and keeps the counters and messages the HUD shows.
//
// Entry points: New takes the Link to the server (package conn's Conn in
// the client; the session owns it from then on); Update, once a frame,
// applies what the link delivered (state changes and frames; a bad frame
// drops the connection), settles expired optimistic changes and sends what
// is due (one Set per call, sorted, at most Welcome's MaxSetBoxes boxes,
// plus any ResyncRequest); Toggle and Paint record the player's changes;
// Status and Message report what the player should see. The game draws
// and turns input into these calls; it never touches the network.
//
// Flow: each frame goes once to the session's protocol.Follower, which
// checks and applies it to the board's replica (Connected → Welcome →
// Snapshot → Delta …; a frame that does not follow owes one
// ResyncRequest, sent by the next Update, and later Deltas are skipped
// until the next snapshot; a Resync frame does the same without the
// request); the board is then told the step (board.Follow), and the
// session takes the Welcome's limits and a Reject's episode (a Reject
// reverts its boxes and starts, or takes over, a rate-limit episode).
//
// Rate limits: changes spend from a bucket a little below the server's
// budget, and taps also from a click budget (clickRate, 4 a second after a burst of 8), which a player
// clicking as fast as they can meets within seconds. Either running dry,
// or a Reject, starts an episode (throttle.Cooldown): everything is
// refused until it ends (so a stroke is cut cleanly, not dashed), with one
// quip, whose limit it was (Limit.Why) and a real countdown (Limit).
// Refused boxes are handed to the renderer by DrainRefused.
//
// A Session is not safe for concurrent use; the game loop owns it. Its
// only I/O is through the Link, and it never blocks.
//
// Words: the view is what the camera shows (SetView's visible area); the
// subscription is the area asked of the server around it.
//
// Version 2 (subscription.go): the client asks for it in the URL (URL); SetView
// tells the session what the screen shows, every update, and it subscribes
// to that area plus a margin that follows motion (Subscription, the one
// rule the load generator's viewers use too): StillMargin on every side of
// a still view, and while panning a lead on the leading side(s) of the
// pan speed times the time a new area takes to arrive. A Viewport goes out
// at most once per Welcome's viewport interval: when the view leaves the
// area, when less than half of the lead is left ahead of a pan, when a zoom
// in leaves the area far too large, and once the view settles, to shrink
// back to the still area; a jump (minimap click, zoom) gets the still
// margin. AreaSnapshot and AreaDelta go through the follower like
// Snapshot and Delta (an AreaDelta whose prev is not the board's seq, or
// with a box outside the area, resyncs); boxes outside the area are not
// Known and Toggle and Paint refuse them (Unknown). Presence and Near give
// the map of where players look (the follower's last Presence) and how
// many look nearby.
//
// Version 3 (announce.go): Announce frames keep the operator's message;
// Announcement says what to show now, DismissAnnouncement hides it for
// the session.
package session

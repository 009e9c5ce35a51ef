// Package crashtest holds only a test: it builds the real server, runs it
// on a data directory under steady load from real WebSocket clients, kills
// it with SIGKILL at random moments, restarts it, and checks that every
// change any observer client saw survived (issue 4's "kill -9 under load
// loses no change that any client saw").
//
// Flow per cycle (crash_test.go): start the server and read its address
// from the "listening" log line; verify the previous cycle's observations;
// connect observers (Welcome, Snapshot, then Deltas applied in seq order)
// and loaders (Set frames of random boxes); after a random 0.3-1.2 s,
// SIGKILL. Verification after the restart: the server's snapshot seq T is at
// least every observer's last seq S; its epoch changes only when recovery
// logged that it cut a torn tail and started a new epoch; the log
// (store.ReadLog) holds, byte for byte, every Delta frame an observer saw;
// and the observer's grid at S with the logged Deltas S+1..T applied equals
// the server's snapshot at T. The history API of the restarted server
// (server/history) gives, for the first observer, the grid it held at
// every seq it saw and the Delta frames it received, byte for byte.
//
// The default run does 20 cycles; CHECKGRID_CRASH_CYCLES=N runs N (soak).
package crashtest

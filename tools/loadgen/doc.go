// Command loadgen measures a checkgrid server against the machine it runs
// on: it holds N players speaking the real protocol over real WebSockets on
// loopback, and, in the same invocation, measures the raw-TCP fan-out
// ceiling of the box so the server's figure is a ratio, not a boast.
//
//	go run ./tools/loadgen -h
//	go build -o bin/checkgrid-server ./server
//	go run ./tools/loadgen -spawn bin/checkgrid-server -mode both \
//	    -watchers 1596 -clickers 400 -click-rate 5 -ramp 4s -duration 8s
//
// Flow (main.go wires it): parseConfig validates the flags against hard
// caps (≤ 60,000 connections, ≤ 10 minutes, loopback targets only);
// raiseNoFile lifts the open-file limit in-process (a spawned server
// inherits it); spawnServer starts the server binary on 127.0.0.1:0 with a
// temp data dir and per-address caps lifted (or -url and -pid, or the pid
// found listening on -url's port, name an existing server).
//
// runWS (wsrun.go) dials the players over the ramp, rotating over
// 127.0.0.1…127.0.0.N source addresses (dial.go), each in a Role
// (roles.go): watchers read and count frames, checking seq continuity
// from each frame's header only, through a head-only protocol.Follower
// (the client's own rule; watcher.go); observers also
// decode Deltas and time boxes that clickers sent (observer.go, latency.go);
// viewers follow a zoomed-in area and jump every -move-every, one in
// viewerTimedEvery also timing the boxes in its AreaDeltas (viewer.go,
// observer.go); clickers toggle boxes they own at human speed; drawers
// paint lines;
// abusers break every rule and reconnect. After a settle pause it measures
// a window: counters (counters.go), the server's and its own CPU and RSS
// from /proc (proc.go), optional server profiles (profile.go). With
// -history-hammer the window's second half also has clients asking the
// history API as fast as it answers (hammer.go), and the report gives the
// players' latency of both halves.
//
// runRaw (rawtcp.go) is the baseline: an in-process TCP server with one
// writer goroutine per socket, fed the same frame as fast as the sockets
// drain, read by as many loopback clients. report.go prints both and the
// ratio of delivered frames/s.
//
// Everything is measured, nothing asserted: these are benchmarks, not
// tests, and the figures depend on what else the machine is doing (the
// report shows that too).
package main

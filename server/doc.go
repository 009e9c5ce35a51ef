// Command server runs checkgrid.
//
//	go run ./server [-addr :8080] [-data ./data] [-admin 127.0.0.1:9090]
//
// Every flag has an environment variable: -addr is CHECKGRID_ADDR, -data is
// CHECKGRID_DATA, and so on (upper case, dashes as underscores, CHECKGRID_
// prefix); a flag given on the command line wins. `checkgrid -h` lists them.
//
// Wiring (run.go): store.Open recovers the grid from the data directory;
// identity.LoadKey reads the cookie key; store.NewProbe checks the directory
// takes a durable write (else /healthz says 503 until it does);
// pipeline.New makes it live; Sequencer.Run sequences
// it, committing every Delta to the store (durable.go), and hub.New and
// Hub.Run follow what it commits; web.New serves the page, assets, API
// and /ws; web.Admin serves /metrics and pprof on -admin. SIGINT or SIGTERM
// stop accepting connections, flush the last tick, write a checkpoint, close
// every connection with 1001 (reconnect) and release the data directory.
//
// Listeners (listeners.go): the public one on -addr, capped per address
// (limits.CapListener) and, with -tls-cert/-tls-key (certs.Files, reloaded
// on change or SIGHUP) or -tls-domain (certs.NewManager, ACME, cache in
// <data>/acme), TLS; -http-addr redirects plain HTTP to it and answers ACME
// HTTP-01 challenges; -admin must be loopback unless -admin-public. Every
// listener has the timeouts of web.Timeouts. -version prints the version
// (version.go: stamped by `make release`, else the VCS revision).
//
// History (issue 21): the data directory keeps every Delta with its commit
// time, by default forever (-history-max-bytes, -history-max-age bound it);
// history.NewHandler serves it at /api/history (PROTOCOL.md, History). In
// cluster mode the stream keeps it (its limits are -nats-retain and the
// same two flags) and every node serves it through a history.Stream
// (clustered.go).
// `checkgrid history verify <data dir | export file | URL>` checks it end
// to end; `checkgrid history export [--from A] [--to B] <data dir | URL>
// <file>` writes one portable file (PROTOCOL.md, "Export file")
// (history.Main; main.go only dispatches to it).
//
// Operator console (issue 23, console.go): the admin listener also serves
// /api/admin/ (server/admin: token from -admin-token or <data>/admin.token,
// Host check with -admin-host names, -admin-rate, <data>/audit.log);
// freezes and bans (server/moderation, <data>/moderation.json) are the
// hub's Gate, the announcement (server/announce, <data>/announcement.json)
// is handed to the hub, bot tokens (server/bots, <data>/bots.json) to
// /ws; in cluster mode all three are the cluster's (KV keys every node
// watches), and the operator's box changes go to the lease holder
// (clusterOperator: cluster.Node.Impose);
// `checkgrid admin …` calls it (admin.Main; main.go only dispatches).
//
// The server logs (log/slog, text) "listening" with addr=HOST:PORT once it
// accepts connections, so -addr 127.0.0.1:0 works for tests.
package main

// Command server runs checkgrid.
//
//	go run ./server [-addr :8080] [-data ./data] [-admin 127.0.0.1:9090]
//
// Every flag has an environment variable: -addr is CHECKGRID_ADDR, -data is
// CHECKGRID_DATA, and so on (upper case, dashes as underscores, CHECKGRID_
// prefix); a flag given on the command line wins. `checkgrid -h` lists them.
//
// Wiring (run.go): store.Open recovers the grid from the data directory;
// grid.FromBitset makes it live; hub.New and hub.Run start the tick loop
// writing every Delta through the store; web.New serves the page, assets, API
// and /ws; web.Admin serves /metrics and pprof on -admin. SIGINT or SIGTERM
// stop accepting connections, flush the last tick, write a checkpoint, close
// every connection with 1001 (reconnect) and release the data directory.
//
// The server logs (log/slog, text) "listening" with addr=HOST:PORT once it
// accepts connections, so -addr 127.0.0.1:0 works for tests.
package main

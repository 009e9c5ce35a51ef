// Command cluster runs checkgrid's cluster mode on one machine, for
// trying it (`make cluster`): three JetStream servers, three checkgrid
// nodes and a load balancer in front of them, all child processes on
// loopback, with data under a temporary directory. It prints the URL to
// open; Ctrl-C stops everything (SIGTERM to each, nodes first).
//
//	go run ./tools/cluster [-addr 127.0.0.1:8080] [-nodes 3] [-keep]
package main

// Package clustertest holds the cluster mode's failure tests with real
// processes only: three JetStream servers (tools/natsd) and checkgrid
// nodes as child processes on loopback, players as real WebSocket clients
// (server/peer), and kill -9, SIGSTOP and SIGCONT from the test. Every
// Delta any player sees is checked against the stream itself and against
// every node's /api/snapshot. Each test is bounded to well under a
// minute and uses its own temp dirs and free ports, but TestChaos: a few
// failure cycles of every kind with writers whose every accepted Set must
// end (committed or refused, never both) in `make test`, 36 in `make
// chaos` (-chaos.cycles).
package clustertest

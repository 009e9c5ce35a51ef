// Package jsserver runs a NATS JetStream server inside the calling process,
// configured for checkgrid's durability needs: file storage, every write
// fsynced before it is acknowledged (sync_interval: always), a cluster of
// peers over routes, loopback by default.
//
// Entry points: Start runs one server and waits until it accepts clients;
// Cluster picks free loopback ports and starts n peers that route to each
// other; ForTest does both for a test, stopping the servers at its end.
// The in-process tests of server/cluster and server use it directly;
// tools/natsd wraps it in a command, so the cluster tests and `make
// cluster` can run JetStream servers as child processes that kill -9
// really kills.
//
// Nothing here is used by the checkgrid server itself: a node only dials
// NATS (server/cluster).
package jsserver

// Package metrics defines the server's Prometheus metrics in a registry of
// its own (no global state), so tests can run several servers in one process.
//
// Entry points: New builds the set; Handler serves it in the Prometheus text
// format. Every field is safe for concurrent use (the client library's
// counters are atomic).
package metrics

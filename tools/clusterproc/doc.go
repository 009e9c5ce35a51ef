// Package clusterproc runs a whole checkgrid cluster on loopback as child
// processes: JetStream servers (tools/natsd), checkgrid nodes (the server
// binary with -nats) and optionally the load balancer (tools/lb), each a
// tools/serverproc.Proc that kill -9 and SIGSTOP really affect.
//
// Entry points: Build compiles the three binaries; StartNATS starts n
// clustered JetStream servers on free ports; StartNode starts one node;
// StartLB one balancer. `make cluster` (tools/cluster) and the cluster
// tests (tools/clustertest) both use it.
package clusterproc

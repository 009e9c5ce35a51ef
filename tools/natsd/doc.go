// Command natsd is a NATS JetStream server for checkgrid's cluster mode,
// built from the nats-server Go module (tools/jsserver): file storage with
// every write fsynced before its ack, routes to its peers. `make cluster`
// and the cluster tests run three of these as child processes, so a kill
// -9 of one is a real crash. In production the official nats-server
// binary with the config in the README does the same job.
//
//	natsd -name n1 -dir /var/lib/nats -addr 127.0.0.1:4222 \
//	      -cluster 127.0.0.1:6222 -routes 127.0.0.1:6222,127.0.0.1:6223,127.0.0.1:6224
//
// It logs `msg=listening addr=HOST:PORT` once it accepts clients, and
// stops on SIGINT or SIGTERM.
package main

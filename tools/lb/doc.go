// Command lb is a small load balancer for trying checkgrid's cluster mode
// on one machine (`make cluster`): the Go standard library's reverse
// proxy, which forwards WebSocket upgrades, in front of several nodes. It
// picks the backend with the fewest open connections among those whose
// /healthz answered in the last second, so a player whose node dies
// reconnects to a live one. It sets X-Forwarded-For (run the nodes with
// -trust-proxy behind it). In production use nginx or HAProxy (README).
//
//	lb -addr 127.0.0.1:8080 -backends 127.0.0.1:8081,127.0.0.1:8082
//
// It logs `msg=listening addr=HOST:PORT` and stops on SIGINT or SIGTERM.
package main

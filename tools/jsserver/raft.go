package jsserver

import (
	"time"
	_ "unsafe" // go:linkname
)

// Raft timing. nats-server's Raft layer notices a dead leader only when no
// heartbeat has come for an election timeout, 4–9 s, fixed at compile
// time with no option: that, not checkgrid, was the 5.6–11.7 s write pause
// when the stream leader's server died (issue 19). The embedded servers
// here set them lower — the same variables nats-server's own tests set —
// through go:linkname. A stock nats-server keeps the defaults (README,
// "What happens on each failure"). A heartbeat every 250 ms and an
// election after 1.0–1.8 s without one: four missed heartbeats at least,
// which a loopback or LAN cluster does not miss but to a dead peer; the
// spread keeps two followers from campaigning at once.
const (
	raftHeartbeat   = 250 * time.Millisecond
	raftMinElection = 1000 * time.Millisecond
	raftMaxElection = 1800 * time.Millisecond
)

//go:linkname natsMinElectionTimeout github.com/nats-io/nats-server/v2/server.minElectionTimeout
var natsMinElectionTimeout time.Duration

//go:linkname natsMaxElectionTimeout github.com/nats-io/nats-server/v2/server.maxElectionTimeout
var natsMaxElectionTimeout time.Duration

//go:linkname natsHBInterval github.com/nats-io/nats-server/v2/server.hbInterval
var natsHBInterval time.Duration

// init sets them before any server of this process starts: they are the
// process's, read by every Raft group, and nats-server's own package
// initialisation (their defaults) has run by then.
func init() {
	natsHBInterval = raftHeartbeat
	natsMinElectionTimeout = raftMinElection
	natsMaxElectionTimeout = raftMaxElection
}

package cluster

import (
	"context"
	"encoding/binary"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

// Counter periods: each node announces its player count every onlineEvery;
// a node not heard from for onlineStale (it died) no longer counts.
const (
	onlineEvery = time.Second
	onlineStale = 3 * onlineEvery
)

// online sums the player counts of every live node.
type online struct {
	n     *Node
	local atomic.Int64 // this node's, as the hub last reported it
	mu    sync.Mutex
	peers map[string]peerCount
}

type peerCount struct {
	n  int64
	at time.Time
}

func newOnline(n *Node) *online { return &online{n: n, peers: make(map[string]peerCount)} }

// total is local plus every other node heard from recently.
func (o *online) total(local int64) int64 {
	o.local.Store(local)
	now := time.Now()
	o.mu.Lock()
	defer o.mu.Unlock()
	sum := local
	for name, p := range o.peers {
		if now.Sub(p.at) > onlineStale {
			delete(o.peers, name)
			continue
		}
		sum += p.n
	}
	return sum
}

func (o *online) run(ctx context.Context) {
	sub, err := o.n.nc.Subscribe(onlinePrefix+"*", func(m *nats.Msg) {
		name := strings.TrimPrefix(m.Subject, onlinePrefix)
		if name == o.n.cfg.Node || len(m.Data) != 8 {
			return
		}
		o.mu.Lock()
		o.peers[name] = peerCount{n: int64(binary.LittleEndian.Uint64(m.Data)), at: time.Now()}
		o.mu.Unlock()
	})
	if err != nil {
		o.n.log.Error("online counts", "err", err)
		return
	}
	defer func() { _ = sub.Unsubscribe() }()
	t := time.NewTicker(onlineEvery)
	defer t.Stop()
	subject := onlinePrefix + o.n.cfg.Node
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			// Lost while disconnected; the next one replaces it.
			_ = o.n.nc.Publish(subject, binary.LittleEndian.AppendUint64(nil, uint64(o.local.Load())))
		}
	}
}

package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"

	"checkgrid/protocol"
	"checkgrid/server/pause"
)

// The operator's changes (fill, clear, rollback: server/admin) on a
// cluster: any node takes the request and sends the sequencer one typed
// operator batch, an AreaSnapshot frame (PROTOCOL.md) of the area as the
// operator wants it, on checkgrid.impose.<sequencer>. The sequencer sets
// its grid's boxes of the area to those values between two ticks (so they
// go into the next Delta like any player's Set, bypassing freezes and
// bans, which the edge nodes enforce), and answers once that Delta is
// committed: {"boxes": flipped, "seq": S}, S the Delta holding them (or,
// none flipped, the committed seq), or {"error": "…"} for a batch it
// refuses. The request carries Checkgrid-Expires-In like a Set batch, so
// a sequencer never commits it after its node has given up on it.
const (
	imposePrefix = "checkgrid.impose." // + sequencer node
	// imposeQueue: operator actions are serialized by each node's admin
	// API, so the sequencer holds at most one a node.
	imposeQueue = 64
)

// Errors of Impose. ErrImposeUnknown: no answer came within AcceptBound,
// so the change was not committed unless it was just before (the
// sequencer stops trying a second before that): preview again to see.
var (
	ErrImposeUnknown = errors.New("cluster: the operator's change was not confirmed in time; it is committed only if a preview shows it")
	ErrImposeRefused = errors.New("cluster: the sequencer refused the operator's change")
)

// imposeReply is the sequencer's answer to an operator batch.
type imposeReply struct {
	Boxes int    `json:"boxes"`
	Seq   uint64 `json:"seq"`
	Error string `json:"error,omitempty"`
}

// Impose gives every box of a the value want(i), through the sequencer,
// and returns how many boxes it flipped and the seq of the Delta holding
// them (with none flipped, the committed seq). It is committed then, not
// yet necessarily on this node's feed.
func (n *Node) Impose(ctx context.Context, a protocol.Area, want func(i uint32) bool) (flipped int, seq uint64, err error) {
	if err := a.Valid(); err != nil {
		return 0, 0, err
	}
	g := new(protocol.Bitset)
	for y := uint32(a.Y); y < uint32(a.Y)+uint32(a.H); y++ {
		for i := y*protocol.GridWidth + uint32(a.X); i < y*protocol.GridWidth+uint32(a.X)+uint32(a.W); i++ {
			if want(i) {
				g.Put(i, true)
			}
		}
	}
	frame, _, err := protocol.AppendAreaSnapshot(nil, n.History, 0, a, g, nil)
	if err != nil {
		return 0, 0, err
	}
	deadline := time.Now().Add(AcceptBound)
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	msg := &nats.Msg{Data: frame, Header: nats.Header{}}
	for {
		t := n.fwd.target.Load()
		if t != nil {
			msg.Subject = imposePrefix + *t
			msg.Header.Set(hdrExpiresIn, strconv.FormatInt(time.Until(deadline).Milliseconds(), 10))
			reply, err := n.nc.RequestMsgWithContext(ctx, msg)
			if err == nil {
				var r imposeReply
				if err := json.Unmarshal(reply.Data, &r); err != nil {
					return 0, 0, fmt.Errorf("%w: answer %q: %w", ErrImposeRefused, reply.Data, err)
				}
				if r.Error != "" {
					return 0, 0, fmt.Errorf("%w: %s", ErrImposeRefused, r.Error)
				}
				return r.Boxes, r.Seq, nil
			}
			if !errors.Is(err, nats.ErrNoResponders) {
				// Delivered perhaps: sending it again could apply it
				// twice if the first lands.
				return 0, 0, fmt.Errorf("%w: %w", ErrImposeUnknown, err)
			}
			// Nobody listens there (a sequencer stepping down or not yet
			// subscribed): not delivered, try the next one.
		}
		if !pause.For(ctx, retryEvery) {
			return 0, 0, fmt.Errorf("%w: no sequencer took it: %w", ErrImposeUnknown, ctx.Err())
		}
	}
}

// pendingImpose is an operator batch applied to the sequencer's grid and
// answered once the Delta holding it is committed.
type pendingImpose struct {
	m       *nats.Msg
	flipped int
}

// impose applies one operator batch to the sequencer's grid through set.
func (l *streamLog) impose(m *nats.Msg, set func(i uint32, v bool) bool) {
	as, err := protocol.DecodeAreaSnapshot(m.Data)
	if err == nil && as.Epoch != l.n.History {
		err = fmt.Errorf("epoch %d, the cluster's is %d", as.Epoch, l.n.History)
	}
	if err == nil {
		if l.want == nil {
			l.want = new(protocol.Bitset)
		}
		l.wantIdx, err = as.Apply(l.want, l.wantIdx[:0])
	}
	if err != nil {
		l.n.m.badBatches.Add(1)
		l.n.log.Warn("sequencer: bad operator batch", "err", err)
		b, _ := json.Marshal(imposeReply{Error: err.Error()})
		_ = m.Respond(b)
		return
	}
	l.noteExpiry(m)
	a, flipped := as.Area, 0
	for y := uint32(a.Y); y < uint32(a.Y)+uint32(a.H); y++ {
		for i := y*protocol.GridWidth + uint32(a.X); i < y*protocol.GridWidth+uint32(a.X)+uint32(a.W); i++ {
			if set(i, l.want.Get(i)) {
				flipped++
			}
		}
	}
	l.n.log.Info("sequencer: operator batch", "area", a, "flipped", flipped)
	l.imposed = append(l.imposed, pendingImpose{m: m, flipped: flipped})
}

// answerImposes tells each waiting operator batch the committed seq that
// holds it: called after every tick's commit (or a tick with nothing to
// commit, when the batches flipped nothing that stayed flipped).
func (l *streamLog) answerImposes() {
	for i, p := range l.imposed {
		b, _ := json.Marshal(imposeReply{Boxes: p.flipped, Seq: l.last})
		_ = p.m.Respond(b)
		l.imposed[i] = pendingImpose{}
	}
	l.imposed = l.imposed[:0]
}

// Grid returns a copy of this node's replica: the committed grid at the
// seq it returns (for the operator's previews).
func (n *Node) Grid(ctx context.Context) (*protocol.Bitset, uint64, error) {
	st, err := n.feed.stateAt(ctx, 0)
	if err != nil {
		return nil, 0, err
	}
	return st.bits, st.seq, nil
}

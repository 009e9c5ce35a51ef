package peer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"

	"checkgrid/protocol"

	"github.com/coder/websocket"
)

// ErrGap means a Delta's seq was not the next one: the peer's view can no
// longer be trusted. ErrEpoch means a Snapshot came from another history.
var (
	ErrGap   = protocol.ErrGap
	ErrEpoch = errors.New("peer: epoch changed")
)

// Peer is one connection and the grid as it has seen it.
type Peer struct {
	Conn    *websocket.Conn
	Welcome protocol.Welcome
	// Replica is the grid as the peer has seen it: Grid at Seq of Epoch.
	protocol.Replica
	Stats protocol.Stats
	// Counters of what was received.
	Deltas, Snapshots, Resyncs, Rejects, Frames, Bytes int
	// RejectedBoxes collects every box refused, in arrival order.
	RejectedBoxes []uint32
	LastReject    protocol.Reject
	// OnDelta, if set, sees each Delta frame after it is applied; the
	// frame is only valid during the call.
	OnDelta func(seq uint64, frame []byte, boxes []uint32)

	wmu    sync.Mutex
	resync bool // a Resync arrived; the next frame must be a Snapshot
}

// Options for Dial.
type Options struct {
	Header http.Header  // e.g. a cookie or an Origin
	Client *http.Client // e.g. one bound to a given local address
}

// Dial connects to url (ws://host/ws) and reads the Welcome and the first
// Snapshot.
func Dial(ctx context.Context, url string, opt Options) (*Peer, error) {
	c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: opt.Header, HTTPClient: opt.Client})
	if err != nil {
		return nil, fmt.Errorf("peer: dial %s: %w", url, err)
	}
	c.SetReadLimit(protocol.MaxServerMessage)
	p := &Peer{Conn: c}
	t, err := p.Next(ctx)
	if err == nil && t != protocol.TypeWelcome {
		err = fmt.Errorf("peer: first frame is %v, want Welcome", t)
	}
	if err == nil {
		t, err = p.Next(ctx)
		if err == nil && t != protocol.TypeSnapshot {
			err = fmt.Errorf("peer: second frame is %v, want Snapshot", t)
		}
	}
	if err != nil {
		c.CloseNow()
		return nil, err
	}
	return p, nil
}

// Next reads one frame, applies it, and returns its type.
func (p *Peer) Next(ctx context.Context) (protocol.FrameType, error) {
	typ, b, err := p.Conn.Read(ctx)
	if err != nil {
		return 0, err
	}
	if typ != websocket.MessageBinary {
		return 0, fmt.Errorf("peer: %v message", typ)
	}
	p.Frames++
	p.Bytes += len(b)
	return p.Apply(b)
}

// Apply applies one server frame to the peer's view.
func (p *Peer) Apply(b []byte) (protocol.FrameType, error) {
	t, err := protocol.PeekType(b)
	if err != nil {
		return t, err
	}
	switch t {
	case protocol.TypeWelcome:
		p.Welcome, err = protocol.DecodeWelcome(b)
		p.Epoch = p.Welcome.Epoch
	case protocol.TypeSnapshot:
		var s protocol.Snapshot
		if s, err = protocol.DecodeSnapshot(b); err == nil {
			if s.Epoch != p.Epoch {
				return t, fmt.Errorf("%w: %d, welcome said %d", ErrEpoch, s.Epoch, p.Epoch)
			}
			err = p.ApplySnapshot(s)
			p.Snapshots++
			p.resync = false
		}
	case protocol.TypeDelta:
		var d protocol.Delta
		if d, err = protocol.DecodeDelta(b); err != nil {
			return t, err
		}
		if p.resync {
			return t, fmt.Errorf("peer: delta %d after Resync, before its Snapshot", d.Seq)
		}
		boxes, err := p.ApplyDelta(d)
		if err != nil {
			return t, err
		}
		p.Deltas++
		if p.OnDelta != nil {
			p.OnDelta(d.Seq, b, boxes)
		}
	case protocol.TypeStats:
		p.Stats, err = protocol.DecodeStats(b)
	case protocol.TypeReject:
		var r protocol.Reject
		if r, err = protocol.DecodeReject(b); err == nil {
			p.LastReject = r
			p.Rejects++
			p.RejectedBoxes, err = r.AppendIndexes(p.RejectedBoxes)
		}
	case protocol.TypeResync:
		_, err = protocol.DecodeResync(b)
		p.Resyncs++
		p.resync = true
	default:
		err = fmt.Errorf("peer: unexpected %v from server", t)
	}
	return t, err
}

// Set asks for changes (any order; they are sorted here). It may be called
// while another goroutine is in Next.
func (p *Peer) Set(ctx context.Context, changes ...protocol.Change) error {
	changes = slices.Clone(changes)
	slices.SortFunc(changes, func(a, b protocol.Change) int { return int(a.Index) - int(b.Index) })
	changes = slices.CompactFunc(changes, func(a, b protocol.Change) bool { return a.Index == b.Index })
	f, err := protocol.AppendSet(nil, changes)
	if err != nil {
		return err
	}
	return p.WriteRaw(ctx, f)
}

// WriteRaw sends b as one binary message, valid or not (tests use it to
// send garbage).
func (p *Peer) WriteRaw(ctx context.Context, b []byte) error {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	return p.Conn.Write(ctx, websocket.MessageBinary, b)
}

// RequestResync sends a ResyncRequest.
func (p *Peer) RequestResync(ctx context.Context) error {
	return p.WriteRaw(ctx, protocol.AppendResyncRequest(nil, protocol.ResyncRequest{HaveSeq: p.Seq}))
}

// WaitSeq reads frames until the peer has applied seq or later.
func (p *Peer) WaitSeq(ctx context.Context, seq uint64) error {
	for p.Seq < seq {
		if _, err := p.Next(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Close closes the connection normally.
func (p *Peer) Close() error { return p.Conn.Close(websocket.StatusNormalClosure, "") }

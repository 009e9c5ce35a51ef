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

// ErrGap means a frame did not follow (protocol.ErrGap): without
// AutoResync the peer's grid can no longer be trusted. ErrEpoch means a
// snapshot came from another history than the Welcome's. ErrSkipped means
// a Delta or AreaDelta came between a Resync and its snapshot, which a
// server never sends (PROTOCOL.md, Flow, invariant 3).
var (
	ErrGap     = protocol.ErrGap
	ErrEpoch   = errors.New("peer: epoch changed")
	ErrSkipped = errors.New("peer: delta before the snapshot a resync promised")
)

// Peer is one connection and the grid as it has seen it, followed through
// protocol.Follower exactly as the client follows it.
type Peer struct {
	Conn *websocket.Conn
	// Replica is the grid as the peer has seen it: exact in Area at Seq
	// of Epoch (the whole grid for a version-1 peer).
	protocol.Replica
	// Welcome, Stats and Presence are the last received (Presence:
	// version 2 only).
	Welcome  protocol.Welcome
	Stats    protocol.Stats
	Presence protocol.Presence
	// RejectedBoxes collects every box refused, in arrival order.
	RejectedBoxes []uint32
	LastReject    protocol.Reject
	// OnDelta, if set, sees each Delta, AreaDelta or DeltaRange frame after it is
	// applied; the frame and boxes are only valid during the call.
	OnDelta func(seq uint64, frame []byte, boxes []uint32)
	// AutoResync: a frame that does not follow asks the server for a
	// resync (and frames until its snapshot are skipped) instead of
	// failing Next with ErrGap.
	AutoResync bool

	follow *protocol.Follower
	wmu    sync.Mutex
}

// Options for Dial.
type Options struct {
	Header http.Header  // e.g. a cookie or an Origin
	Client *http.Client // e.g. one bound to a given local address
}

// Dial connects to url (ws://host/ws, with any query) and reads the
// Welcome and the first snapshot.
func Dial(ctx context.Context, url string, opt Options) (*Peer, error) {
	c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: opt.Header, HTTPClient: opt.Client})
	if err != nil {
		return nil, fmt.Errorf("peer: dial %s: %w", url, err)
	}
	c.SetReadLimit(protocol.MaxServerMessage)
	p := &Peer{Conn: c}
	p.follow = protocol.NewFollower(&p.Replica)
	t, err := p.Next(ctx)
	if err == nil && t != protocol.TypeWelcome {
		err = fmt.Errorf("peer: first frame is %v, want Welcome", t)
	}
	for err == nil && !p.Synced() {
		_, err = p.Next(ctx)
	}
	if err != nil {
		c.CloseNow()
		return nil, err
	}
	return p, nil
}

// DialArea connects to ws (ws://host/ws) as a version-2 client starting at
// area a (the zero Area: the whole grid) and reads frames until its first
// snapshot.
func DialArea(ctx context.Context, ws string, a protocol.Area, opt Options) (*Peer, error) {
	p, err := Dial(ctx, protocol.Query{Version: protocol.Version2, Area: a}.URL(ws), opt)
	if err != nil {
		return nil, err
	}
	if p.Welcome.Version != protocol.Version2 {
		p.Conn.CloseNow()
		return nil, fmt.Errorf("peer: server speaks version %d", p.Welcome.Version)
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
	return p.Apply(ctx, b)
}

// Apply applies one server frame through the follower and returns its
// type.
func (p *Peer) Apply(ctx context.Context, b []byte) (protocol.FrameType, error) {
	st, err := p.follow.Handle(b)
	t := st.Head.Type
	p.Welcome, _ = p.follow.Welcome()
	p.Stats = p.follow.Stats()
	p.Presence, _ = p.follow.Presence()
	switch {
	case errors.Is(err, protocol.ErrGap) && p.AutoResync:
		req, _ := p.follow.TakeResync()
		return t, p.WriteRaw(ctx, protocol.AppendResyncRequest(nil, req))
	case err != nil:
		return t, err
	case st.Skipped && !p.AutoResync && p.Frames(protocol.TypeSnapshot)+p.Frames(protocol.TypeAreaSnapshot) > 0:
		return t, fmt.Errorf("%w: %v %d", ErrSkipped, t, st.Head.Seq)
	}
	switch t {
	case protocol.TypeSnapshot, protocol.TypeAreaSnapshot:
		if p.Epoch != p.Welcome.Epoch {
			return t, fmt.Errorf("%w: %d, welcome said %d", ErrEpoch, p.Epoch, p.Welcome.Epoch)
		}
	case protocol.TypeDelta, protocol.TypeAreaDelta, protocol.TypeDeltaRange:
		if p.OnDelta != nil && !st.Skipped {
			p.OnDelta(st.Head.Seq, b, st.Boxes)
		}
	case protocol.TypeReject:
		p.LastReject = protocol.Reject{Reason: protocol.RejectReason(st.Head.Reason), RetryAfterMS: st.Head.Retry, Count: st.Head.Count}
		p.RejectedBoxes = append(p.RejectedBoxes, st.Boxes...)
	}
	return t, nil
}

// Frames is the number of frames of type t received.
func (p *Peer) Frames(t protocol.FrameType) int { return p.follow.Frames(t) }

// Received is the number of frames and bytes received.
func (p *Peer) Received() (frames int, bytes int64) { return p.follow.Received() }

// Gaps is the number of frames that did not follow.
func (p *Peer) Gaps() int { return p.follow.Gaps() }

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

// Move subscribes to area a (version 2; the server applies it at a later
// tick). It may be called while another goroutine is in Next.
func (p *Peer) Move(ctx context.Context, a protocol.Area) error {
	return p.WriteRaw(ctx, protocol.AppendViewport(nil, protocol.Viewport{Area: a}))
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

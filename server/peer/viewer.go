package peer

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"checkgrid/protocol"

	"github.com/coder/websocket"
)

// Viewer is a version-2 connection: it subscribes to an area and keeps an
// exact copy of the boxes inside it (a protocol.Replica). A frame that does not
// follow is never applied: Next returns the replica's error and, with
// AutoResync, asks the server for a fresh snapshot.
type Viewer struct {
	Conn    *websocket.Conn
	Welcome protocol.Welcome
	protocol.Replica
	Stats    protocol.Stats
	Presence protocol.Presence
	// Counters of what was received, by frame type, and bytes.
	Frames map[protocol.FrameType]int
	Bytes  int
	// Gaps counts frames refused as not following (each one resynced when
	// AutoResync is set).
	Gaps       int
	AutoResync bool

	resync bool // a Resync arrived; the next frame must be a snapshot
	wmu    sync.Mutex
}

// URL returns the /ws URL asking for version 2 and, unless a is the zero
// Area, starting at area a.
func URL(ws string, a protocol.Area) string {
	u := ws + "?v=2"
	if a.W != 0 {
		u += fmt.Sprintf("&area=%d,%d,%d,%d", a.X, a.Y, a.W, a.H)
	}
	return u
}

// DialView connects to ws (ws://host/ws) as a version-2 client starting at
// area a (zero: the whole grid) and reads frames until its first snapshot.
func DialView(ctx context.Context, ws string, a protocol.Area, opt Options) (*Viewer, error) {
	c, _, err := websocket.Dial(ctx, URL(ws, a), &websocket.DialOptions{HTTPHeader: opt.Header, HTTPClient: opt.Client})
	if err != nil {
		return nil, fmt.Errorf("peer: dial %s: %w", ws, err)
	}
	c.SetReadLimit(protocol.MaxServerMessage)
	v := &Viewer{Conn: c, Frames: map[protocol.FrameType]int{}}
	for !v.Synced() {
		if _, err := v.Next(ctx); err != nil {
			c.CloseNow()
			return nil, err
		}
	}
	if v.Welcome.Version != protocol.Version2 {
		c.CloseNow()
		return nil, fmt.Errorf("peer: server speaks version %d", v.Welcome.Version)
	}
	return v, nil
}

// Next reads one frame, applies it, and returns its type.
func (v *Viewer) Next(ctx context.Context) (protocol.FrameType, error) {
	typ, b, err := v.Conn.Read(ctx)
	if err != nil {
		return 0, err
	}
	if typ != websocket.MessageBinary {
		return 0, fmt.Errorf("peer: %v message", typ)
	}
	v.Bytes += len(b)
	return v.Apply(ctx, b)
}

// Apply applies one server frame.
func (v *Viewer) Apply(ctx context.Context, b []byte) (protocol.FrameType, error) {
	t, err := protocol.PeekType(b)
	if err != nil {
		return t, err
	}
	v.Frames[t]++
	switch t {
	case protocol.TypeWelcome:
		v.Welcome, err = protocol.DecodeWelcome(b)
		return t, err
	case protocol.TypeStats:
		v.Stats, err = protocol.DecodeStats(b)
		return t, err
	case protocol.TypePresence:
		v.Presence, err = protocol.DecodePresence(b)
		return t, err
	case protocol.TypeReject:
		_, err = protocol.DecodeReject(b)
		return t, err
	case protocol.TypeResync:
		_, err = protocol.DecodeResync(b)
		v.resync = true
		v.Unsync()
		return t, err
	case protocol.TypeSnapshot, protocol.TypeAreaSnapshot:
		v.resync = false
	case protocol.TypeDelta, protocol.TypeAreaDelta:
		if v.resync || !v.Synced() {
			return t, nil // waiting for the snapshot a resync promised
		}
	}
	if _, err := v.Replica.Apply(b); err != nil {
		if !errors.Is(err, protocol.ErrGap) {
			return t, err
		}
		v.Unsync()
		v.Gaps++
		if v.AutoResync {
			v.resync = true
			return t, v.write(ctx, protocol.AppendResyncRequest(nil, protocol.ResyncRequest{HaveSeq: v.Seq}))
		}
		return t, err
	}
	return t, nil
}

// Move subscribes to area a (the server applies it at a later tick).
func (v *Viewer) Move(ctx context.Context, a protocol.Area) error {
	return v.write(ctx, protocol.AppendViewport(nil, protocol.Viewport{Area: a}))
}

// write sends one message; Move may be called while another
// goroutine is in Next.
func (v *Viewer) write(ctx context.Context, b []byte) error {
	v.wmu.Lock()
	defer v.wmu.Unlock()
	return v.Conn.Write(ctx, websocket.MessageBinary, b)
}

// Close closes the connection normally.
func (v *Viewer) Close() error { return v.Conn.Close(websocket.StatusNormalClosure, "") }

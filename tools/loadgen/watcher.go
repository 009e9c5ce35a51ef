package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/coder/websocket"

	"checkgrid/protocol"
)

// Reading costs: a watcher keeps only a frame's head (every fixed field it
// checks is in the first protocol.HeadSize bytes) in a small per-connection buffer and
// discards the rest through it, so 50,000 watchers cost little more than
// their sockets.
const (
	watchBuf    = 512
	headerBytes = protocol.HeadSize // longest fixed header read
)

var (
	errFirstFrame = errors.New("loadgen: first frames are not Welcome, Snapshot")
	errRefused    = errors.New("loadgen: upgrade refused")
)

// stream is one connection's view of the frame sequence: a head-only
// protocol.Follower checks that Deltas arrive in order after the
// snapshot, by the client's own rule, without decoding them.
type stream struct {
	follow    *protocol.Follower
	lastFrame protocol.FrameType
	role      Role // viewers and watchers are counted apart
}

func newStream(role Role) *stream {
	return &stream{follow: protocol.NewHeadFollower(), role: role}
}

// maxSet is the Welcome's largest Set, 0 before it.
func (st *stream) maxSet() int {
	w, _ := st.follow.Welcome()
	return int(w.MaxSetBoxes)
}

// readFrame reads one message into buf. With keep it grows buf to hold the
// whole message; otherwise it keeps the head and discards the rest through
// buf's tail. It returns the (possibly grown) buffer, the kept bytes and the
// message's full size.
func readFrame(r io.Reader, buf []byte, keep bool) ([]byte, []byte, int, error) {
	n := 0
	for {
		if n == len(buf) {
			if !keep {
				m, err := discard(r, buf[headerBytes:])
				return buf, buf[:n], n + m, err
			}
			buf = append(buf, make([]byte, len(buf))...)
		}
		m, err := r.Read(buf[n:])
		n += m
		if err == io.EOF {
			return buf, buf[:n], n, nil
		}
		if err != nil {
			return buf, buf[:n], n, err
		}
	}
}

// discard reads r to EOF through scratch and returns how many bytes.
func discard(r io.Reader, scratch []byte) (int, error) {
	total := 0
	for {
		m, err := r.Read(scratch)
		total += m
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// join reads the Welcome and the first Snapshot.
func (r *wsRun) join(conn frameConn, st *stream, buf []byte) ([]byte, error) {
	for range 2 {
		var err error
		if buf, err = r.readOne(conn, st, buf, false); err != nil {
			return buf, err
		}
	}
	if (st.lastFrame != protocol.TypeSnapshot && st.lastFrame != protocol.TypeAreaSnapshot) || !st.follow.Synced() {
		return buf, errFirstFrame
	}
	return buf, nil
}

// readOne reads one frame, counts it and advances st; observers (keep)
// decode Deltas for latency. It sends a ResyncRequest on a seq gap.
func (r *wsRun) readOne(conn frameConn, st *stream, buf []byte, keep bool) ([]byte, error) {
	buf, head, size, err := conn.readFrame(buf, keep)
	if err != nil {
		return buf, err
	}
	if len(head) == 0 {
		return buf, fmt.Errorf("loadgen: empty message")
	}
	step, err := st.follow.Handle(head)
	gap := errors.Is(err, protocol.ErrGap)
	if err != nil && !gap {
		return buf, fmt.Errorf("loadgen: server frame: %w", err)
	}
	h := step.Head
	t := h.Type
	r.ctr.frames[t].Add(1)
	r.ctr.bytes.Add(int64(size))
	switch st.role {
	case RoleViewer:
		r.ctr.vframes.Add(1)
		r.ctr.vbytes.Add(int64(size))
	case RoleWatcher:
		r.ctr.wframes.Add(1)
		r.ctr.wbytes.Add(int64(size))
	}
	st.lastFrame = t
	switch {
	case gap:
		// Asked once until the next snapshot; later Deltas are skipped.
		r.ctr.gaps.Add(1)
		if req, ok := st.follow.TakeResync(); ok {
			return buf, conn.writeBinary(protocol.AppendResyncRequest(nil, req))
		}
	case step.Skipped: // in-flight Deltas before the snapshot a Resync announced
	case t == protocol.TypeDeltaRange: // a paced watcher (-pace)
		r.ctr.ranges.Add(1)
	case t == protocol.TypeAreaDelta:
		if st.role == RoleViewer {
			r.ctr.vdeltas.Add(1)
		}
		if keep {
			r.observeArea(head, time.Now())
		}
	case t == protocol.TypeDelta:
		r.ctr.deltas.Add(1)
		if keep {
			r.observe(head, time.Now())
		}
	case t == protocol.TypeReject:
		reason := protocol.RejectReason(h.Reason)
		r.ctr.event("reject frames: "+reason.String(), 1)
		r.ctr.event("rejected boxes: "+reason.String(), int64(h.Count))
	case t == protocol.TypeResync:
		r.ctr.event("resync: "+protocol.ResyncReason(h.Reason).String(), 1)
	}
	return buf, nil
}

// closeLabel names how a connection ended, for the drops table.
func closeLabel(err error) string {
	if code := websocket.CloseStatus(err); code != -1 {
		return fmt.Sprintf("close %d %v", int(code), protocol.CloseCode(code))
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "close eof (no close frame)"
	}
	if errors.Is(err, errFirstFrame) {
		return "bad first frames"
	}
	return "read error"
}

package main

import (
	"context"
	"math/rand/v2"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/pause"
	"checkgrid/wasm/session"
)

// Viewers are version-2 players zoomed in: the 64×40 view at a
// random place, subscribed to exactly what the client asks for a still
// view (session.Subscription: the view plus session.StillMargin on every
// side, clamped to the grid; viewerSize), moving to another place
// every -move-every (±50%), as a player looks around by jumps (a minimap
// click, a deep link: jumps get the still area, not a pan's lead). They
// read like watchers (head only); their frames and bytes are counted
// apart, beside the watchers' (today's all-changes mode) in the same run.
const (
	viewW, viewH = 64, 40
)

// viewerSize is the area a viewer subscribes to away from the grid's
// edges, for the report and the flag's help.
func viewerSize() (w, h int) {
	a := session.Subscription(protocol.Area{X: protocol.GridWidth / 2, Y: protocol.GridHeight / 2, W: viewW, H: viewH}, 0, 0)
	return int(a.W), int(a.H)
}

// viewerArea is the area the client subscribes to for a still view at a
// random place.
func viewerArea(rng *rand.Rand) protocol.Area {
	v := protocol.Area{X: uint16(rng.IntN(protocol.GridWidth - viewW + 1)), Y: uint16(rng.IntN(protocol.GridHeight - viewH + 1)), W: viewW, H: viewH}
	return session.Subscription(v, 0, 0)
}

// runViewer moves the viewer until ctx ends.
func (r *wsRun) runViewer(ctx context.Context, conn frameConn, rng *rand.Rand) {
	for {
		d := r.cfg.moveEvery/2 + time.Duration(rng.Int64N(int64(r.cfg.moveEvery)+1))
		if !pause.For(ctx, d) {
			return
		}
		f := protocol.AppendViewport(nil, protocol.Viewport{Area: viewerArea(rng)})
		if err := conn.writeBinary(f); err != nil {
			return
		}
		r.ctr.vmoves.Add(1)
	}
}

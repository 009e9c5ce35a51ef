package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"checkgrid/protocol"
)

// Viewers are version-2 players zoomed in: the 64×40 view with the
// client's margin (a quarter of the view on each side: 96×60 boxes
// subscribed), at a random place, moving to another every -move-every
// (±50%), as a player looks around. They read like watchers (head only);
// their frames and bytes are counted apart, beside the watchers' (today's
// all-changes mode) in the same run.
const (
	viewerW, viewerH = 96, 60
)

// viewerArea is a random subscribed area.
func viewerArea(rng *rand.Rand) protocol.Area {
	return protocol.Area{X: uint16(rng.IntN(protocol.GridWidth - viewerW + 1)), Y: uint16(rng.IntN(protocol.GridHeight - viewerH + 1)), W: viewerW, H: viewerH}
}

// viewerURL asks for version 2 starting at area a.
func viewerURL(ws string, a protocol.Area) string {
	return fmt.Sprintf("%s?v=2&area=%d,%d,%d,%d", ws, a.X, a.Y, a.W, a.H)
}

// runViewer moves the viewer until ctx ends.
func (r *wsRun) runViewer(ctx context.Context, conn frameConn, rng *rand.Rand) {
	for {
		d := r.cfg.moveEvery/2 + time.Duration(rng.Int64N(int64(r.cfg.moveEvery)+1))
		if !sleepCtx(ctx, d) {
			return
		}
		f := protocol.AppendViewport(nil, protocol.Viewport{Area: viewerArea(rng)})
		if err := conn.writeBinary(f); err != nil {
			return
		}
		r.ctr.vmoves.Add(1)
	}
}

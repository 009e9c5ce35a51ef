package main

import (
	"time"

	"checkgrid/protocol"
)

// observe decodes one in-sequence Delta frame and records, for each box a
// clicker sent, now − send time. It also adds to the bytes-per-change
// tally. Called by observer connections only: decoding every Delta on every
// connection would make the load generator, not the server, the bottleneck.
func (r *wsRun) observe(frame []byte, now time.Time) {
	d, err := protocol.DecodeDelta(frame)
	if err != nil {
		r.ctr.event("observer: bad delta", 1)
		return
	}
	r.obsMu.Lock()
	defer r.obsMu.Unlock()
	if r.obsIdx, err = d.AppendIndexes(r.obsIdx[:0]); err != nil {
		r.ctr.event("observer: bad delta", 1)
		return
	}
	r.obsLat = r.obsLat[:0]
	for _, box := range r.obsIdx {
		if d, ok := r.sent.since(box, now); ok {
			r.obsLat = append(r.obsLat, d)
		}
	}
	r.lat.add(r.obsLat...)
	r.obsFrames++
	r.obsBytes += int64(len(frame))
	r.obsPayload += int64(d.PayloadSize())
	r.obsBoxes += int64(len(r.obsIdx))
}

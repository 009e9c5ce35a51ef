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
	if !r.timeFlips(d, r.lat, now) {
		r.ctr.event("observer: bad delta", 1)
		return
	}
	r.obsFrames++
	r.obsBytes += int64(len(frame))
	r.obsPayload += int64(d.PayloadSize())
	r.obsBoxes += int64(len(r.obsIdx))
}

// viewerTimedEvery: one viewer in this many also decodes its AreaDeltas
// and times the clicked boxes in them, so the report has zoomed-in
// players' toggle-to-seen beside the whole-grid observers'. A viewer sees
// ~6 of 2,000 clicks a second; one in 20 of thousands of viewers gives
// thousands of samples a second at a small decoding cost.
const viewerTimedEvery = 20

// observeArea is observe for a timed viewer's in-sequence AreaDelta.
func (r *wsRun) observeArea(frame []byte, now time.Time) {
	d, err := protocol.DecodeAreaDelta(frame)
	if err != nil {
		r.ctr.event("viewer: bad area delta", 1)
		return
	}
	r.obsMu.Lock()
	defer r.obsMu.Unlock()
	if !r.timeFlips(d, r.vlat, now) {
		r.ctr.event("viewer: bad area delta", 1)
	}
}

// flipper is a decoded Delta or AreaDelta.
type flipper interface {
	AppendIndexes(dst []uint32) ([]uint32, error)
}

// timeFlips decodes d's boxes into r.obsIdx and records into h, for each
// one a clicker sent, now − send time; false if d is corrupt. The caller
// holds obsMu.
func (r *wsRun) timeFlips(d flipper, h *histogram, now time.Time) bool {
	var err error
	if r.obsIdx, err = d.AppendIndexes(r.obsIdx[:0]); err != nil {
		return false
	}
	r.obsLat = r.obsLat[:0]
	for _, box := range r.obsIdx {
		if d, ok := r.sent.since(box, now); ok {
			r.obsLat = append(r.obsLat, d)
		}
	}
	h.add(r.obsLat...)
	return true
}

package protocol

import "fmt"

// A playback frame is one sampled point of history in an answer of
// /api/history/playback (PROTOCOL.md, "Playback"): the boxes of an area
// whose value differs between the previous point and this one, as an
// AreaDelta frame, after the point's commit time.
//
//	offset size field
//	0      8    commit time of record seq, Unix nanoseconds (0 = unknown)
//	8      4    n, length of the AreaDelta frame
//	12     n    AreaDelta: seq = the point, prev = the previous frame's seq
//	            (the answer's from for the first), the boxes that differ
type PlaybackFrame struct {
	Time  int64
	Delta AreaDelta // aliases the input
}

// PlaybackHeaderSize is the fixed part of a playback frame.
const PlaybackHeaderSize = 12

// AppendPlayback appends a playback frame for the point seq at unixNano,
// after prev, with the differing boxes idx (as AppendAreaDelta).
func AppendPlayback(dst []byte, unixNano int64, seq, prev uint64, idx []uint32) ([]byte, error) {
	if unixNano < 0 {
		return dst, fmt.Errorf("%w: playback time %d", ErrField, unixNano)
	}
	n := len(dst)
	dst = le.AppendUint64(dst, uint64(unixNano))
	dst = le.AppendUint32(dst, 0)
	dst, err := AppendAreaDelta(dst, seq, prev, idx)
	if err != nil {
		return dst[:n], err
	}
	le.PutUint32(dst[n+8:], uint32(len(dst)-n-PlaybackHeaderSize))
	return dst, nil
}

// NextPlayback decodes the playback frame at the start of b and returns it
// and the rest; its boxes are decoded by Delta.AppendIndexes.
func NextPlayback(b []byte) (PlaybackFrame, []byte, error) {
	if len(b) < PlaybackHeaderSize {
		return PlaybackFrame{}, nil, fmt.Errorf("%w: playback frame of %d bytes", ErrShort, len(b))
	}
	t := int64(le.Uint64(b))
	n := int(le.Uint32(b[8:]))
	if t < 0 {
		return PlaybackFrame{}, nil, fmt.Errorf("%w: playback time %d", ErrField, t)
	}
	if n > len(b)-PlaybackHeaderSize {
		return PlaybackFrame{}, nil, fmt.Errorf("%w: playback frame of %d bytes, %d follow", ErrShort, n, len(b)-PlaybackHeaderSize)
	}
	d, err := DecodeAreaDelta(b[PlaybackHeaderSize : PlaybackHeaderSize+n])
	if err != nil {
		return PlaybackFrame{}, nil, err
	}
	return PlaybackFrame{Time: t, Delta: d}, b[PlaybackHeaderSize+n:], nil
}

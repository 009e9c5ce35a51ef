package protocol

import (
	"fmt"

	"checkgrid/protocol/bitio"
)

// RejectReason says why a Set was refused.
type RejectReason uint8

// Reject reasons.
const (
	RejectRate        RejectReason = 1 // the player's token bucket is empty
	RejectAddressRate RejectReason = 2 // the address's (IPv4 /32, IPv6 /64) bucket is empty
	RejectStorage     RejectReason = 3 // the server cannot make changes durable right now
	RejectOverload    RejectReason = 4 // the server is shedding load
	RejectFrozen      RejectReason = 5 // the boxes lie in an area the operator froze
	RejectBanned      RejectReason = 6 // the operator banned the player or the address
)

func (r RejectReason) String() string {
	switch r {
	case RejectRate:
		return "rate"
	case RejectAddressRate:
		return "address_rate"
	case RejectStorage:
		return "storage"
	case RejectOverload:
		return "overload"
	case RejectFrozen:
		return "frozen"
	case RejectBanned:
		return "banned"
	}
	return fmt.Sprintf("RejectReason(%d)", uint8(r))
}

// A Reject tells a client which boxes of a Set were not applied, why, and
// when trying again may succeed. The client reverts its optimistic view of
// those boxes.
//
//	offset size field
//	0      1    type = 0x05
//	1      1    reason (RejectReason)
//	2      4    retry after, milliseconds
//	6      2    k, number of refused boxes (1..MaxSetBoxes)
//	8      …    packed index set of the k boxes, zero-padded to a byte
type Reject struct {
	Reason       RejectReason
	RetryAfterMS uint32
	Count        int
	packed       []byte
}

// RejectHeaderSize is the fixed part of a Reject frame.
const RejectHeaderSize = 8

// AppendReject appends a Reject frame refusing idx (strictly increasing).
func AppendReject(dst []byte, reason RejectReason, retryAfterMS uint32, idx []uint32) ([]byte, error) {
	if len(idx) == 0 || len(idx) > MaxSetBoxes {
		return dst, fmt.Errorf("%w: reject of %d boxes", ErrCount, len(idx))
	}
	n := len(dst)
	dst = append(dst, byte(TypeReject), byte(reason))
	dst = le.AppendUint32(dst, retryAfterMS)
	dst = le.AppendUint16(dst, uint16(len(idx)))
	bw := bitio.NewWriter(dst)
	if err := appendIndexSet(&bw, idx); err != nil {
		return dst[:n], err
	}
	return bw.Flush(), nil
}

// DecodeReject checks a Reject frame's header and size; AppendIndexes
// decodes its boxes. Unknown reasons are accepted. The Reject aliases b.
func DecodeReject(b []byte) (Reject, error) {
	if err := header(b, TypeReject, RejectHeaderSize); err != nil {
		return Reject{}, err
	}
	r := Reject{
		Reason:       RejectReason(b[1]),
		RetryAfterMS: le.Uint32(b[2:]),
		Count:        int(le.Uint16(b[6:])),
		packed:       b[RejectHeaderSize:],
	}
	if r.Count == 0 || r.Count > MaxSetBoxes {
		return Reject{}, fmt.Errorf("%w: reject of %d boxes", ErrCount, r.Count)
	}
	if err := checkPackedSize(r.packed, r.Count, 0); err != nil {
		return Reject{}, err
	}
	return r, nil
}

// AppendIndexes decodes the refused boxes, appending them to dst.
func (r Reject) AppendIndexes(dst []uint32) ([]uint32, error) {
	br := bitio.NewReader(r.packed)
	dst, err := readIndexSet(&br, r.Count, 0, dst)
	if err != nil {
		return dst, err
	}
	return dst, finish(&br, TypeReject)
}

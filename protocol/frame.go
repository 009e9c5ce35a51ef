package protocol

import (
	"encoding/binary"
	"fmt"
)

// Protocol versions this package speaks. A version changes whenever a byte
// layout or a frame's meaning changes; PROTOCOL.md keeps the change log. A
// client states the version it wants in the /ws URL (?v=N, absent means 1);
// the server answers in Welcome with that version or closes with
// CloseVersion.
const (
	// Version1 is every Delta to every client.
	Version1 = 1
	// Version2 adds the subscribed area (Viewport), AreaSnapshot, AreaDelta
	// and Presence, and a longer Welcome.
	Version2 = 2
	// Version3 adds Announce, the operator's message to every player, and
	// pacing: a passive whole-grid player may get DeltaRange (the net
	// change of several ticks) instead of every Delta. Its Welcome is laid
	// out as version 2's.
	Version3 = 3
	// Version is the newest version, the one a client of this build asks
	// for.
	Version = Version3
	// MinVersion is the oldest version this package can still decode.
	MinVersion = Version1
)

// Grid geometry. The layout is fixed, never reflowed, so drawings hold.
const (
	GridWidth  = 1000
	GridHeight = 1000
	// Boxes is the number of boxes; indexes run from 0 to Boxes-1, row-major:
	// index = y*GridWidth + x.
	Boxes = GridWidth * GridHeight
	// BitsetBytes is the size of the raw bitset snapshot encoding.
	BitsetBytes = Boxes / 8
)

// Hard protocol limits. A server may announce tighter ones in Welcome.
const (
	// MaxSetBoxes bounds one Set frame so one message costs the server a
	// bounded amount of work and its Reject fits in one small frame.
	MaxSetBoxes = 1024
	// MaxClientMessage is the largest client-to-server frame: a Set of
	// MaxSetBoxes boxes packs to at most ~3.1 KB; the rest is headroom.
	MaxClientMessage = 4096
	// MaxServerMessage is the largest server-to-client frame: a raw snapshot
	// plus its header, with headroom for a roaring payload, which is never
	// sent when larger than the raw one.
	MaxServerMessage = BitsetBytes + 1024
)

// Endianness: every multi-byte fixed field is little-endian.
var le = binary.LittleEndian

// FrameType is the first byte of every frame.
type FrameType uint8

// Frame types. Server-to-client types are below 0x10, client-to-server types
// are 0x10 and above, so a peer rejects a frame sent the wrong way by type.
const (
	TypeWelcome  FrameType = 0x01 // server → client, first frame on a connection
	TypeSnapshot FrameType = 0x02 // server → client, whole grid at a seq
	TypeDelta    FrameType = 0x03 // server → client, boxes flipped by one tick
	TypeStats    FrameType = 0x04 // server → client, counters, at most 1/s
	TypeReject   FrameType = 0x05 // server → client, a Set was refused
	TypeResync   FrameType = 0x06 // server → client, discard state; a Snapshot follows
	// Version 2.
	TypeAreaSnapshot FrameType = 0x07 // server → client, the boxes of the subscribed area at a seq
	TypeAreaDelta    FrameType = 0x08 // server → client, the flips of one tick inside the area
	TypePresence     FrameType = 0x09 // server → client, viewers per region, at most 1/s
	// Version 3.
	TypeAnnounce   FrameType = 0x0a // server → client, the operator's message to every player
	TypeDeltaRange FrameType = 0x0b // server → client, the net change of several ticks (pacing)

	TypeSet           FrameType = 0x10 // client → server, boxes and wanted values
	TypeResyncRequest FrameType = 0x11 // client → server, please send a Snapshot
	TypeViewport      FrameType = 0x12 // client → server, the area to subscribe to (version 2; ignored in 1)
)

func (t FrameType) String() string {
	switch t {
	case TypeWelcome:
		return "Welcome"
	case TypeSnapshot:
		return "Snapshot"
	case TypeDelta:
		return "Delta"
	case TypeStats:
		return "Stats"
	case TypeReject:
		return "Reject"
	case TypeResync:
		return "Resync"
	case TypeAreaSnapshot:
		return "AreaSnapshot"
	case TypeAreaDelta:
		return "AreaDelta"
	case TypePresence:
		return "Presence"
	case TypeAnnounce:
		return "Announce"
	case TypeDeltaRange:
		return "DeltaRange"
	case TypeSet:
		return "Set"
	case TypeResyncRequest:
		return "ResyncRequest"
	case TypeViewport:
		return "Viewport"
	}
	return fmt.Sprintf("FrameType(0x%02x)", uint8(t))
}

// FromClient reports whether frames of type t travel client → server.
func (t FrameType) FromClient() bool { return t >= 0x10 }

// Known reports whether t is a frame type of this protocol version.
func (t FrameType) Known() bool { return t.String()[0] != 'F' }

// PeekType returns the type of frame b without decoding the rest.
func PeekType(b []byte) (FrameType, error) {
	if len(b) == 0 {
		return 0, fmt.Errorf("%w: empty frame", ErrShort)
	}
	t := FrameType(b[0])
	if !t.Known() {
		return t, fmt.Errorf("%w: 0x%02x", ErrType, b[0])
	}
	return t, nil
}

// header checks that b is a frame of type want and at least n bytes long.
func header(b []byte, want FrameType, n int) error {
	if len(b) == 0 {
		return fmt.Errorf("%w: empty frame", ErrShort)
	}
	if FrameType(b[0]) != want {
		return fmt.Errorf("%w: got %v, want %v", ErrType, FrameType(b[0]), want)
	}
	if len(b) < n {
		return fmt.Errorf("%w: %v needs %d bytes, got %d", ErrShort, want, n, len(b))
	}
	return nil
}

// exact is header plus a check that nothing follows the fixed fields.
func exact(b []byte, want FrameType, n int) error {
	if err := header(b, want, n); err != nil {
		return err
	}
	if len(b) != n {
		return fmt.Errorf("%w: %v is %d bytes, got %d", ErrTrailing, want, n, len(b))
	}
	return nil
}

// rawSize checks a raw payload of n bytes against the want its header
// gives: fewer is ErrShort, more ErrTrailing (PROTOCOL.md, "Rejecting bad
// input").
func rawSize(n, want int) error {
	switch {
	case n < want:
		return fmt.Errorf("%w: raw payload of %d bytes, want %d", ErrShort, n, want)
	case n > want:
		return fmt.Errorf("%w: raw payload of %d bytes, want %d", ErrTrailing, n, want)
	}
	return nil
}

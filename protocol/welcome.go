package protocol

import "fmt"

// Welcome is the first frame on every connection: what the server is and
// the limits the client must respect. Its length depends on its version.
//
//	offset size field
//	0      1    type = 0x01
//	1      1    version the server speaks on this connection
//	2      2    grid width
//	4      2    grid height
//	6      8    epoch: identity of the grid's history; a new epoch means
//	            earlier seqs mean nothing
//	14     2    max boxes per Set frame (1..MaxSetBoxes)
//	16     2    sustained Set rate, boxes per second per player
//	18     2    burst, boxes
//	20     4    max client message bytes
//	24          end of version 1
//	24     2    sustained Set rate, boxes per second per address
//	26     2    address burst, boxes
//	28     2    max connections per address
//	30     2    viewport interval, milliseconds: the server applies at most
//	            one area change per interval (faster Viewports coalesce)
//	32          end of version 2 (version 3: the same layout)
type Welcome struct {
	Version     uint8
	Width       uint16
	Height      uint16
	Epoch       uint64
	MaxSetBoxes uint16
	SetRate     uint16
	SetBurst    uint16
	MaxMessage  uint32
	// Version 2 only; zero in a version-1 Welcome.
	AddrRate         uint16
	AddrBurst        uint16
	MaxConnsPerAddr  uint16
	ViewportInterval uint16
}

// Welcome lengths by version.
const (
	WelcomeSize   = 24 // version 1
	WelcomeV2Size = 32
)

// AppendWelcome appends w as a frame to dst, in w.Version's layout
// (version 1 leaves out the version-2 fields).
func AppendWelcome(dst []byte, w Welcome) []byte {
	dst = append(dst, byte(TypeWelcome), w.Version)
	dst = le.AppendUint16(dst, w.Width)
	dst = le.AppendUint16(dst, w.Height)
	dst = le.AppendUint64(dst, w.Epoch)
	dst = le.AppendUint16(dst, w.MaxSetBoxes)
	dst = le.AppendUint16(dst, w.SetRate)
	dst = le.AppendUint16(dst, w.SetBurst)
	dst = le.AppendUint32(dst, w.MaxMessage)
	if w.Version < Version2 {
		return dst
	}
	dst = le.AppendUint16(dst, w.AddrRate)
	dst = le.AppendUint16(dst, w.AddrBurst)
	dst = le.AppendUint16(dst, w.MaxConnsPerAddr)
	return le.AppendUint16(dst, w.ViewportInterval)
}

// DecodeWelcome decodes a Welcome frame of any version this package speaks
// (MinVersion … Version). It returns ErrVersion for another version, and
// ErrField for a grid or limits this build cannot use.
func DecodeWelcome(b []byte) (Welcome, error) {
	if err := header(b, TypeWelcome, WelcomeSize); err != nil {
		return Welcome{}, err
	}
	size := 0
	switch b[1] {
	case Version1:
		size = WelcomeSize
	case Version2, Version3:
		size = WelcomeV2Size
	default:
		return Welcome{Version: b[1]}, fmt.Errorf("%w: server speaks %d, we speak %d…%d", ErrVersion, b[1], MinVersion, Version)
	}
	if err := exact(b, TypeWelcome, size); err != nil {
		return Welcome{}, err
	}
	w := Welcome{
		Version:     b[1],
		Width:       le.Uint16(b[2:]),
		Height:      le.Uint16(b[4:]),
		Epoch:       le.Uint64(b[6:]),
		MaxSetBoxes: le.Uint16(b[14:]),
		SetRate:     le.Uint16(b[16:]),
		SetBurst:    le.Uint16(b[18:]),
		MaxMessage:  le.Uint32(b[20:]),
	}
	if size == WelcomeV2Size {
		w.AddrRate = le.Uint16(b[24:])
		w.AddrBurst = le.Uint16(b[26:])
		w.MaxConnsPerAddr = le.Uint16(b[28:])
		w.ViewportInterval = le.Uint16(b[30:])
	}
	if w.Width != GridWidth || w.Height != GridHeight {
		return w, fmt.Errorf("%w: grid %dx%d", ErrField, w.Width, w.Height)
	}
	if w.MaxSetBoxes == 0 || w.MaxSetBoxes > MaxSetBoxes {
		return w, fmt.Errorf("%w: max set boxes %d", ErrField, w.MaxSetBoxes)
	}
	return w, nil
}

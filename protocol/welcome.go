package protocol

import "fmt"

// Welcome is the first frame on every connection: what the server is and
// the limits the client must respect.
//
//	offset size field
//	0      1    type = 0x01
//	1      1    version
//	2      2    grid width
//	4      2    grid height
//	6      8    epoch: identity of the grid's history; a new epoch means
//	            earlier seqs mean nothing
//	14     2    max boxes per Set frame (1..MaxSetBoxes)
//	16     2    sustained Set rate, boxes per second per player
//	18     2    burst, boxes
//	20     4    max client message bytes
//	24          end
type Welcome struct {
	Version     uint8
	Width       uint16
	Height      uint16
	Epoch       uint64
	MaxSetBoxes uint16
	SetRate     uint16
	SetBurst    uint16
	MaxMessage  uint32
}

// WelcomeSize is the length of a Welcome frame.
const WelcomeSize = 24

// AppendWelcome appends w as a frame to dst.
func AppendWelcome(dst []byte, w Welcome) []byte {
	dst = append(dst, byte(TypeWelcome), w.Version)
	dst = le.AppendUint16(dst, w.Width)
	dst = le.AppendUint16(dst, w.Height)
	dst = le.AppendUint64(dst, w.Epoch)
	dst = le.AppendUint16(dst, w.MaxSetBoxes)
	dst = le.AppendUint16(dst, w.SetRate)
	dst = le.AppendUint16(dst, w.SetBurst)
	return le.AppendUint32(dst, w.MaxMessage)
}

// DecodeWelcome decodes a Welcome frame. It returns ErrVersion for another
// protocol version, and ErrField for a grid or limits this build cannot use.
func DecodeWelcome(b []byte) (Welcome, error) {
	if err := exact(b, TypeWelcome, WelcomeSize); err != nil {
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
	if w.Version != Version {
		return w, fmt.Errorf("%w: server speaks %d, we speak %d", ErrVersion, w.Version, Version)
	}
	if w.Width != GridWidth || w.Height != GridHeight {
		return w, fmt.Errorf("%w: grid %dx%d", ErrField, w.Width, w.Height)
	}
	if w.MaxSetBoxes == 0 || w.MaxSetBoxes > MaxSetBoxes {
		return w, fmt.Errorf("%w: max set boxes %d", ErrField, w.MaxSetBoxes)
	}
	return w, nil
}

package protocol

// Stats carries the counters players see, pushed at most once a second.
//
//	offset size field
//	0      1    type = 0x04
//	1      4    checked boxes (≤ Boxes)
//	5      4    players online
//	9      8    total toggles ever applied
//	17          end
type Stats struct {
	Checked uint32
	Online  uint32
	Toggles uint64
}

// StatsSize is the length of a Stats frame.
const StatsSize = 17

// AppendStats appends s as a frame to dst.
func AppendStats(dst []byte, s Stats) []byte {
	dst = append(dst, byte(TypeStats))
	dst = le.AppendUint32(dst, s.Checked)
	dst = le.AppendUint32(dst, s.Online)
	return le.AppendUint64(dst, s.Toggles)
}

// DecodeStats decodes a Stats frame.
func DecodeStats(b []byte) (Stats, error) {
	if err := exact(b, TypeStats, StatsSize); err != nil {
		return Stats{}, err
	}
	s := Stats{Checked: le.Uint32(b[1:]), Online: le.Uint32(b[5:]), Toggles: le.Uint64(b[9:])}
	if s.Checked > Boxes {
		return s, errField("checked", uint64(s.Checked))
	}
	return s, nil
}

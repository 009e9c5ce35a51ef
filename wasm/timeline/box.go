package timeline

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"checkgrid/protocol"
	"checkgrid/wasm/wording"
)

// BoxInfo is when a box last changed and how often
// (/api/history/box, PROTOCOL.md, History, Box).
type BoxInfo struct {
	Box      uint32     `json:"box"`
	Seq      uint64     `json:"seq"`
	Since    uint64     `json:"since"`
	Changes  uint32     `json:"changes"`
	LastSeq  uint64     `json:"last_seq"`
	LastTime *time.Time `json:"last_time"`
}

// Box asks history when box i last changed and how often. A server still
// building its box index answers 503: an ErrHistory, asked again later.
func (s *Source) Box(ctx context.Context, i uint32) (BoxInfo, error) {
	var info BoxInfo
	if i >= protocol.Boxes {
		return info, fmt.Errorf("%w: box %d", ErrRange, i)
	}
	b, _, err := s.get(ctx, "/api/history/box", url.Values{"box": {strconv.FormatUint(uint64(i), 10)}})
	if err != nil {
		return info, err
	}
	if err := json.Unmarshal(b, &info); err != nil || info.Box != i {
		return info, fmt.Errorf("%w: box %d: %s (%v)", ErrHistory, i, b, err)
	}
	return info, nil
}

// Label is the hover label's line for the box, its time in loc:
// "last changed <time> · <n> changes".
func (b BoxInfo) Label(loc *time.Location) string {
	when := wording.BoxWhenUnknown
	if b.LastTime != nil {
		when = b.LastTime.In(loc).Format(wording.TimeLayout)
	}
	switch {
	case b.Changes == 0 && b.Since == 0:
		return wording.BoxNever
	case b.Changes == 0:
		return wording.BoxNotKept
	case b.Changes == 1:
		return fmt.Sprintf(wording.BoxOnceFmt, when)
	}
	return fmt.Sprintf(wording.BoxInfoFmt, when, b.Changes)
}

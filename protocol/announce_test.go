package protocol

import (
	"errors"
	"strings"
	"testing"
)

func TestAnnounceRoundTrip(t *testing.T) {
	for _, a := range []Announce{
		{ID: 1, TTL: 600, Text: "Maintenance at 18:00 UTC"},
		{ID: 7, TTL: MaxAnnounceTTL, Text: strings.Repeat("é", MaxAnnounceText/2)},
		{ID: 7},
	} {
		b, err := AppendAnnounce(nil, a)
		if err != nil {
			t.Fatalf("%+v: %v", a, err)
		}
		got, err := DecodeAnnounce(b)
		if err != nil || got != a {
			t.Errorf("%+v: decoded %+v, %v", a, got, err)
		}
		if h, err := ReadHead(b); err != nil || h.Type != TypeAnnounce {
			t.Errorf("%+v: head %+v %v", a, h, err)
		}
	}
}

// TestAnnounceRefused: each field out of range is refused by the encoder
// and the decoder alike, with the error PROTOCOL.md names.
func TestAnnounceRefused(t *testing.T) {
	raw := func(id, ttl uint32, n int, text string) []byte {
		b := []byte{byte(TypeAnnounce)}
		b = le.AppendUint32(b, id)
		b = le.AppendUint32(b, ttl)
		b = le.AppendUint16(b, uint16(n))
		return append(b, text...)
	}
	for name, c := range map[string]struct {
		frame []byte
		want  error
	}{
		"id 0":               {raw(0, 5, 2, "hi"), ErrField},
		"over a week":        {raw(1, MaxAnnounceTTL+1, 2, "hi"), ErrField},
		"text too long":      {raw(1, 5, MaxAnnounceText+1, strings.Repeat("a", MaxAnnounceText+1)), ErrField},
		"withdrawal w/ text": {raw(1, 0, 2, "hi"), ErrField},
		"empty text":         {raw(1, 5, 0, ""), ErrField},
		"newline":            {raw(1, 5, 3, "a\nb"), ErrField},
		"C1 control":         {raw(1, 5, 3, "a\u0085"), ErrField},
		"not UTF-8":          {raw(1, 5, 2, "a\xff"), ErrField},
		"cut header":         {raw(1, 5, 2, "hi")[:10], ErrShort},
		"cut text":           {raw(1, 5, 3, "hi"), ErrShort},
		"byte after text":    {raw(1, 5, 1, "hi"), ErrTrailing},
		"wrong type":         {append([]byte{byte(TypeStats)}, raw(1, 5, 2, "hi")[1:]...), ErrType},
	} {
		_, err := DecodeAnnounce(c.frame)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	for _, a := range []Announce{{ID: 0, TTL: 1, Text: "x"}, {ID: 1, TTL: 1}, {ID: 1, Text: "x"}, {ID: 1, TTL: 1, Text: "a\tb"}} {
		if _, err := AppendAnnounce(nil, a); !errors.Is(err, ErrField) {
			t.Errorf("AppendAnnounce(%+v): %v, want ErrField", a, err)
		}
	}
}

func FuzzDecodeAnnounce(f *testing.F) {
	for _, a := range []Announce{{ID: 1, TTL: 600, Text: "Maintenance at 18:00 UTC"}, {ID: 2}, {ID: 3, TTL: 1, Text: "ünïcödé ✓"}} {
		b, _ := AppendAnnounce(nil, a)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := DecodeAnnounce(b)
		checkErr(t, err)
		if err != nil {
			return
		}
		again, err := AppendAnnounce(nil, a)
		if err != nil {
			t.Fatalf("re-encode %+v: %v", a, err)
		}
		if string(again) != string(b) {
			t.Fatalf("re-encoded announce differs: % x, was % x", again, b)
		}
	})
}

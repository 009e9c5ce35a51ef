package deeplink

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		frag string
		want View
		err  bool
	}{
		{"#x=500&y=250&z=40", View{500, 250, 40, 0}, false},
		{"x=0&y=999&z=1", View{0, 999, 1, 0}, false},
		{"#x=1&y=2&z=0.5", View{1, 2, 0.5, 0}, false},
		{"#x=1&y=2", View{1, 2, JumpZoom, 0}, false},
		{"#x=1&y=2&z=1000", View{1, 2, MaxZoom, 0}, false},
		{"#n=1001", View{1, 1, JumpZoom, 0}, false},
		{"#n=999999", View{999, 999, JumpZoom, 0}, false},
		{"#n=1000000", View{}, true},
		{"#x=1000&y=0&z=1", View{}, true},
		{"#x=-1&y=0", View{}, true},
		{"#x=1&y=2&z=NaN", View{}, true},
		{"#x=1&y=2&z=abc", View{}, true},
		{"#x=1&y=2&z=3&t=2025-01-01T00:00:00Z", View{1, 2, 3, 1735689600}, false},
		{"#n=1001&t=2025-01-01T01:00:00%2B01:00", View{1, 1, JumpZoom, 1735689600}, false},
		{"#x=1&y=2&t=yesterday", View{}, true},
		{"#x=1&y=2&t=1960-01-01T00:00:00Z", View{}, true},
		{"", View{}, true},
		{"#", View{}, true},
		{"#%zz", View{}, true},
	}
	for _, tc := range tests {
		got, err := Parse(tc.frag)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v, err %v", tc.frag, got, err, tc.want, tc.err)
		}
		if err != nil && !errors.Is(err, ErrLink) {
			t.Errorf("Parse(%q): %v is not ErrLink", tc.frag, err)
		}
	}
}

func TestFormatRoundTrips(t *testing.T) {
	for _, v := range []View{{0, 0, 1, 0}, {999, 999, 80, 0}, {123, 456, 2.5, 0}, {5, 6, 0.123, 0}, {7, 8, 24, 1735689600}} {
		s := Format(v)
		got, err := Parse(s)
		if err != nil || got != v {
			t.Errorf("Parse(Format(%+v)) = Parse(%q) = %+v, %v", v, s, got, err)
		}
	}
	if s := Format(View{1, 2, 1.23456, 0}); s != "#x=1&y=2&z=1.235" {
		t.Errorf("Format rounds to %q", s)
	}
}

func TestParseJump(t *testing.T) {
	tests := []struct {
		in   string
		want uint32
		err  bool
	}{
		{"0", 0, false},
		{" 1001 ", 1001, false},
		{"5,2", 2005, false},
		{"5 2", 2005, false},
		{"999, 999", 999999, false},
		{"1000000", 0, true},
		{"1000,0", 0, true},
		{"abc", 0, true},
		{"", 0, true},
	}
	for _, tc := range tests {
		v, err := ParseJump(tc.in)
		if (err != nil) != tc.err || (err == nil && v.Index() != tc.want) {
			t.Errorf("ParseJump(%q) = %+v, %v; want box %d err %v", tc.in, v, err, tc.want, tc.err)
		}
	}
}

package web

import (
	"errors"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"checkgrid/protocol"
)

// areaRE is the area grammar of PROTOCOL.md ("Connection") written as a
// regular expression, independently of viewOf's parser.
var areaRE = regexp.MustCompile(`^(0|[1-9][0-9]{0,4})(,(0|[1-9][0-9]{0,4})){3}$`)

// FuzzViewQuery checks viewOf against the rule as PROTOCOL.md states it:
// every query gets a view or exactly one of the three errors, with a
// close reason in ASCII, and the verdict is the one the rule gives.
func FuzzViewQuery(f *testing.F) {
	for _, q := range []string{"", "v=1", "v=2", "v=2&area=10,20,30,40", "v=2&area=10%2C20%2C30%2C40",
		"area=1,2,3,4", "v=", "v=02", "v=+2", "v=%2B2", "v=2&v=2", "v=2&area=", "v=2&area=1;2;3;4",
		"v=2&area=01,2,3,4", "v=2&area=1,2,3,4&area=1,2,3,4", "v=%zz", "v=2&area=999,999,1,1", "v=2&area=0,0,1,70000"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		view, err := viewOf(raw)
		want := ruleOf(raw)
		switch {
		case err == nil && want != nil, err != nil && !errors.Is(err, want):
			t.Fatalf("%q: viewOf says %v, the rule says %v", raw, err, want)
		case err != nil && !isASCII(err.Error()):
			// ws cuts the reason to 120 bytes, which keeps ASCII UTF-8.
			t.Fatalf("%q: reason %q is not one ASCII line", raw, err)
		case errors.Is(err, ErrVersion) && !strings.Contains(err.Error()[:min(120, len(err.Error()))], speaks()):
			t.Fatalf("%q: reason %q does not name the versions in its first 120 bytes", raw, err)
		case err != nil:
			return
		}
		if view.Version < protocol.MinVersion || view.Version > protocol.Version {
			t.Fatalf("%q: version %d", raw, view.Version)
		}
		if view.Area != (protocol.Area{}) && (view.Version < protocol.Version2 || view.Area.Valid() != nil) {
			t.Fatalf("%q: area %+v in version %d", raw, view.Area, view.Version)
		}
	})
}

// ruleOf is the verdict PROTOCOL.md's rule gives for a query: nil, or the
// error for the first fault.
func ruleOf(raw string) error {
	q, err := url.ParseQuery(raw)
	if err != nil || strings.Contains(raw, ";") {
		return ErrQuery
	}
	version := 1
	if vs, ok := q["v"]; ok {
		if len(vs) != 1 || (vs[0] != "1" && vs[0] != "2") {
			return ErrVersion
		}
		version, _ = strconv.Atoi(vs[0])
	}
	_ = version // an area is checked in every version
	as, ok := q["area"]
	if !ok {
		return nil
	}
	if len(as) != 1 || !areaRE.MatchString(as[0]) {
		return ErrArea
	}
	var f [4]int
	for i, p := range strings.Split(as[0], ",") {
		f[i], _ = strconv.Atoi(p)
	}
	if f[2] < 1 || f[3] < 1 || f[0]+f[2] > protocol.GridWidth || f[1]+f[3] > protocol.GridHeight {
		return ErrArea
	}
	return nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

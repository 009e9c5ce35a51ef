package protocol

import (
	"errors"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestQueryURL(t *testing.T) {
	for _, c := range []struct {
		ws   string
		q    Query
		want string
	}{
		{"ws://h/ws", Query{}, "ws://h/ws"},
		{"ws://h/ws", Query{Version: Version}, "ws://h/ws?v=3"},
		{"ws://h/ws?cb=7", Query{Version: Version2}, "ws://h/ws?cb=7&v=2"},
		{"ws://h/ws", Query{Version: Version2, Area: Area{10, 20, 30, 40}}, "ws://h/ws?v=2&area=10,20,30,40"},
		{"wss://h:8443/ws", Query{Area: Area{0, 0, 1, 1}}, "wss://h:8443/ws?area=0,0,1,1"},
	} {
		if got := c.q.URL(c.ws); got != c.want {
			t.Errorf("%+v.URL(%q) = %q, want %q", c.q, c.ws, got, c.want)
		}
	}
}

// TestParseQuery reads the rows of PROTOCOL.md's query table that need no
// server (the server's TestQueryRule asks a real one for every row).
func TestParseQuery(t *testing.T) {
	for _, c := range []struct {
		raw  string
		want Query
		err  error
	}{
		{"", Query{Version: 1}, nil},
		{"v=2&area=10%2C20%2C30%2C40", Query{Version: 2, Area: Area{10, 20, 30, 40}}, nil},
		{"area=10,20,30,40&v=2&cb=7", Query{Version: 2, Area: Area{10, 20, 30, 40}}, nil},
		{"v=1&area=0,0,10,10", Query{Version: 1}, nil},
		{"v=02", Query{}, ErrVersion},
		{"v=+2", Query{}, ErrVersion},
		{"v=9&area=junk", Query{}, ErrVersion},
		{"v=2&area=1,2,3,4&area=1,2,3,4", Query{}, ErrQuery},
		{"v=2&area=0,0,1,70000", Query{}, ErrQuery},
		{"v=1&area=1,2,3", Query{}, ErrQuery},
		{"v=%zz", Query{}, ErrQuery},
	} {
		got, err := ParseQuery(c.raw)
		if !errors.Is(err, c.err) || (err == nil && got != c.want) {
			t.Errorf("ParseQuery(%q) = %+v, %v; want %+v, %v", c.raw, got, err, c.want, c.err)
		}
	}
	if _, err := ParseQuery("v=9"); QueryClose(err) != CloseVersion || !strings.Contains(err.Error(), Speaks()) || !strings.HasPrefix(Speaks(), "this server speaks v=1 or v=2") {
		t.Errorf("v=9: %v, close %v", err, QueryClose(err))
	}
	if _, err := ParseQuery("v=2&area="); QueryClose(err) != CloseProtocol {
		t.Errorf("empty area: %v, close %v", err, QueryClose(err))
	}
}

// areaRE is the area grammar of PROTOCOL.md ("Connection") written as a
// regular expression, independently of ParseQuery's parser.
var areaRE = regexp.MustCompile(`^(0|[1-9][0-9]{0,4})(,(0|[1-9][0-9]{0,4})){3}$`)

// FuzzParseQuery checks ParseQuery against the rule as PROTOCOL.md states
// it: every query gets a Query or exactly one of the two errors, with a
// close reason in ASCII, and the verdict is the one the rule gives; a
// Query read back from its own Encode is itself.
func FuzzParseQuery(f *testing.F) {
	for _, q := range []string{"", "v=1", "v=2", "v=2&area=10,20,30,40", "v=2&area=10%2C20%2C30%2C40",
		"area=1,2,3,4", "v=", "v=02", "v=+2", "v=%2B2", "v=2&v=2", "v=2&area=", "v=2&area=1;2;3;4",
		"v=2&area=01,2,3,4", "v=2&area=1,2,3,4&area=1,2,3,4", "v=%zz", "v=2&area=999,999,1,1", "v=2&area=0,0,1,70000"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := ParseQuery(raw)
		want := ruleOf(raw)
		switch {
		case err == nil && want != nil, err != nil && !errors.Is(err, want):
			t.Fatalf("%q: ParseQuery says %v, the rule says %v", raw, err, want)
		case err != nil && !isASCII(err.Error()):
			// ws cuts the reason to 120 bytes, which keeps ASCII UTF-8.
			t.Fatalf("%q: reason %q is not one ASCII line", raw, err)
		case errors.Is(err, ErrVersion) && !strings.Contains(err.Error()[:min(120, len(err.Error()))], Speaks()):
			t.Fatalf("%q: reason %q does not name the versions in its first 120 bytes", raw, err)
		case err != nil:
			return
		}
		if q.Version < MinVersion || q.Version > Version {
			t.Fatalf("%q: version %d", raw, q.Version)
		}
		if q.Area != (Area{}) && (q.Version < Version2 || q.Area.Valid() != nil) {
			t.Fatalf("%q: area %+v in version %d", raw, q.Area, q.Version)
		}
		if back, err := ParseQuery(q.Encode()); err != nil || back != q {
			t.Fatalf("%q: %+v encodes as %q, read back as %+v, %v", raw, q, q.Encode(), back, err)
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
	if vs, ok := q["v"]; ok {
		digits := vs[0] != "" && strings.Trim(vs[0], "0123456789") == ""
		n, err := strconv.Atoi(vs[0])
		if len(vs) != 1 || !digits || err != nil || strconv.Itoa(n) != vs[0] || n < MinVersion || n > Version {
			return ErrVersion
		}
	}
	as, ok := q["area"] // checked in every version
	if !ok {
		return nil
	}
	if len(as) != 1 || !areaRE.MatchString(as[0]) {
		return ErrQuery
	}
	var f [4]int
	for i, p := range strings.Split(as[0], ",") {
		f[i], _ = strconv.Atoi(p)
	}
	if f[2] < 1 || f[3] < 1 || f[0]+f[2] > GridWidth || f[1]+f[3] > GridHeight {
		return ErrQuery
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

package announce

import (
	"testing"
)

// FuzzDecode: no bytes make Decode panic; a record it accepts encodes
// and decodes to itself.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"version":1,"id":1764950400,"text":"Back in five minutes","until":"2026-12-05T19:00:00Z"}`))
	f.Add([]byte(`{"version":1,"id":1764950400}`))
	f.Add([]byte(`{"version":1,"id":0,"text":"x","until":"2030-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"version":2}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := Decode(b)
		if err != nil {
			return
		}
		enc, err := Encode(r)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Decode(enc)
		if err != nil || !again.Until.Equal(r.Until) || again.ID != r.ID || again.Text != r.Text {
			t.Fatalf("%s → %+v → %s → %+v, %v", b, r, enc, again, err)
		}
	})
}

// TestDecodeVectors: the file format's examples (doc.go).
func TestDecodeVectors(t *testing.T) {
	for _, c := range []struct {
		in string
		ok bool
	}{
		{`{"version":1,"id":1764950400,"text":"Back in five minutes","until":"2026-12-05T19:00:00Z"}`, true},
		{`{"version":1,"id":1764950400}`, true}, // withdrawn
		{`{"version":1,"id":0,"text":"x","until":"2030-01-01T00:00:00Z"}`, false},
		{`{"version":1,"id":5,"text":"x"}`, false},
		{`{"version":1,"id":5,"until":"2030-01-01T00:00:00Z"}`, false},
		{`{"version":1,"id":5,"text":"two\nlines","until":"2030-01-01T00:00:00Z"}`, false},
		{`{"version":2,"id":5}`, false},
		{`[]`, false},
	} {
		if _, err := Decode([]byte(c.in)); (err == nil) != c.ok {
			t.Errorf("Decode(%s): %v, want ok %v", c.in, err, c.ok)
		}
	}
}

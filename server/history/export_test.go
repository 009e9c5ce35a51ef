package history

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"

	"checkgrid/protocol"
)

// The export file vector of PROTOCOL.md, "Export file".
const (
	vectorExportHeader = `434b475249444858 0100 0100 00000000 0000000000000000 0100000000000000
    0000000000000000 0000000000000000
    2227061ed76b131dd2ed824d469af1caeeba0c371b370e19e99fc29dc9906dac
    0100000000000000 0000000000000000`
	vectorExportTrailer = "6428ce95c0e9c4d2cd1762955f153a5f19f95bb1d14fe927e007de7a9a6fe3e7"
)

func vectorExport(tb testing.TB) []byte {
	h, err := hex.DecodeString(strings.Join(strings.Fields(vectorExportHeader), ""))
	if err != nil {
		tb.Fatal(err)
	}
	e, _ := hex.DecodeString(strings.ReplaceAll(vectorEntry, " ", ""))
	t, _ := hex.DecodeString(vectorExportTrailer)
	b := append(append(h, make([]byte, gridBytes)...), e...)
	return append(b, t...)
}

// readAll reads an export file to its end.
func readAll(b []byte) (*ExportReader, error) {
	x, err := ReadExport(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	for {
		if _, err := x.Next(); err == io.EOF {
			return x, nil
		} else if err != nil {
			return x, err
		}
	}
}

// TestExportVector decodes PROTOCOL.md's export file and writes it again.
func TestExportVector(t *testing.T) {
	b := vectorExport(t)
	if len(b) != 125_165 {
		t.Fatalf("vector is %d bytes", len(b))
	}
	x, err := readAll(b)
	if err != nil {
		t.Fatal(err)
	}
	h := x.Header
	if h.From != 0 || h.To != 1 || h.Toggles != 0 || h.Time != 0 || !h.Chained || len(h.Spans) != 1 || h.Spans[0] != (Span{1, 0}) {
		t.Fatalf("header %+v", h)
	}
	if x.Replica.Seq != 1 || x.Replica.Grid.Count() != 1 || !x.Replica.Grid.Get(5) || x.Toggles != 3 {
		t.Fatalf("at the end: seq %d, %d checked, box 5 %v, toggles %d", x.Replica.Seq, x.Replica.Grid.Count(), x.Replica.Grid.Get(5), x.Toggles)
	}
	if hex.EncodeToString(x.Chain[:]) != vectorChainStep {
		t.Fatalf("chain %x", x.Chain)
	}
	var buf bytes.Buffer
	var empty protocol.Bitset
	w, err := newExportWriter(&buf, h, &empty)
	if err == nil {
		e, _, _ := NextEntry(b[96+gridBytes:])
		err = w.add(e)
	}
	if err == nil {
		err = w.finish()
	}
	if err != nil || !bytes.Equal(buf.Bytes(), b) {
		t.Fatalf("written again: %v; equal %v", err, bytes.Equal(buf.Bytes(), b))
	}
}

// TestReadExportRejects: each damage is an ErrExport.
func TestReadExportRejects(t *testing.T) {
	good := vectorExport(t)
	mod := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	for name, b := range map[string][]byte{
		"empty":         nil,
		"magic":         mod(func(b []byte) []byte { b[0] = 'X'; return b }),
		"version":       mod(func(b []byte) []byte { b[8] = 2; return b }),
		"no spans":      mod(func(b []byte) []byte { b[10] = 0; return b }),
		"reserved":      mod(func(b []byte) []byte { b[12] = 1; return b }),
		"from after to": mod(func(b []byte) []byte { b[16] = 2; return b }),
		"span not from": mod(func(b []byte) []byte { b[88] = 1; return b }),
		"epoch 0":       mod(func(b []byte) []byte { b[80] = 0; return b }),
		"grid byte":     mod(func(b []byte) []byte { b[96+7] = 1; return b }),
		"entry cut":     good[:len(good)-40],
		"frame length":  mod(func(b []byte) []byte { b[96+gridBytes+19] = 0x7f; return b }),
		"trailer":       mod(func(b []byte) []byte { b[len(b)-1] ^= 1; return b }),
		"trailing byte": append(append([]byte(nil), good...), 0),
		"no trailer":    good[:len(good)-32],
		"entry seq":     mod(func(b []byte) []byte { b[96+gridBytes+21] = 2; return b }),
	} {
		if _, err := readAll(b); !errors.Is(err, ErrExport) {
			t.Errorf("%s: %v, want ErrExport", name, err)
		}
	}
}

// TestExportSpans: records take the epoch of the last span before them,
// and an export of a range inside a later epoch starts there.
func TestExportSpans(t *testing.T) {
	ex := Extent{Epochs: []EpochSpan{{"7", 0}, {"8", 10}, {"9", 20}}}
	for _, c := range []struct {
		from, to uint64
		want     []Span
	}{
		{0, 30, []Span{{7, 0}, {8, 10}, {9, 20}}},
		{10, 20, []Span{{8, 10}}},
		{5, 10, []Span{{7, 5}}},
		{5, 11, []Span{{7, 5}, {8, 10}}},
		{25, 25, []Span{{9, 25}}},
	} {
		got, err := spans(ex, c.from, c.to)
		if err != nil || len(got) != len(c.want) {
			t.Fatalf("%d..%d: %v %v", c.from, c.to, got, err)
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Fatalf("%d..%d: %v, want %v", c.from, c.to, got, c.want)
			}
		}
	}
	h := ExportHeader{From: 0, To: 30, Spans: []Span{{7, 0}, {8, 10}, {9, 20}}}
	for seq, want := range map[uint64]uint64{1: 7, 10: 7, 11: 8, 20: 8, 21: 9, 30: 9} {
		if got := h.epochOf(seq); got != want {
			t.Errorf("record %d: epoch %d, want %d", seq, got, want)
		}
	}
}

// FuzzReadExport: any bytes read to an end or an ErrExport, never a panic
// or an allocation from an unchecked length; what reads writes back the same.
func FuzzReadExport(f *testing.F) {
	f.Add(vectorExport(f))
	f.Add(vectorExport(f)[:200])
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := ReadExport(bytes.NewReader(b))
		if err != nil {
			if !errors.Is(err, ErrExport) {
				t.Fatalf("error %v is not ErrExport", err)
			}
			return
		}
		var buf bytes.Buffer
		w, err := newExportWriter(&buf, x.Header, &x.Replica.Grid)
		if err != nil {
			t.Fatalf("a header that reads does not write: %v", err)
		}
		for {
			e, err := x.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				if !errors.Is(err, ErrExport) {
					t.Fatalf("error %v is not ErrExport", err)
				}
				return
			}
			if err := w.add(e); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.finish(); err != nil || !bytes.Equal(buf.Bytes(), b) {
			t.Fatalf("written again: %v, equal %v", err, bytes.Equal(buf.Bytes(), b))
		}
	})
}

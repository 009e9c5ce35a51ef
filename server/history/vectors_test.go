package history

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/store"
)

// The vectors of PROTOCOL.md, History, decoded here.
const (
	vectorEntry     = "000057c07e681618 0300000000000000 11000000 0301000000000000000100000000000280"
	vectorChainBase = "2227061ed76b131dd2ed824d469af1caeeba0c371b370e19e99fc29dc9906dac"
	vectorChainStep = "536704d2e0e074d4c891f63eae8cac4c837a9fa59cfa3de4a4b9cad226e49e01"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEntryVector(t *testing.T) {
	b := unhex(t, vectorEntry)
	e, rest, err := NextEntry(b)
	if err != nil || len(rest) != 0 {
		t.Fatalf("entry vector: %v, %d bytes left", err, len(rest))
	}
	want := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	d, err := protocol.DecodeDelta(e.Frame)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := d.AppendIndexes(nil)
	if e.Time != want || e.Toggles != 3 || e.Seq != 1 || err != nil || len(idx) != 1 || idx[0] != 5 {
		t.Fatalf("entry vector: %+v boxes %v (%v)", e, idx, err)
	}
	if got := appendEntry(nil, e.Time, e.Toggles, e.Frame); string(got) != string(b) {
		t.Fatalf("re-encoded %x", got)
	}
	var empty protocol.Bitset
	base := store.ChainBase(1, 0, 0, &empty)
	if hex.EncodeToString(base[:]) != vectorChainBase {
		t.Fatalf("chain base %x", base)
	}
	if step := base.Next(1, e.Seq, e.Time, e.Toggles, e.Frame); hex.EncodeToString(step[:]) != vectorChainStep {
		t.Fatalf("chain step %x", step)
	}
}

func TestNextEntryRejects(t *testing.T) {
	good := unhex(t, vectorEntry)
	for name, b := range map[string][]byte{
		"short header":   good[:19],
		"frame cut":      good[:len(good)-1],
		"length too big": append(append([]byte{}, good[:16]...), 0xff, 0xff, 0xff, 0x7f),
		"negative time":  append(append(make([]byte, 7), 0x80), good[8:]...),
		"not a delta":    append(append([]byte{}, good[:20]...), append([]byte{0x02}, good[21:]...)...),
	} {
		if _, _, err := NextEntry(b); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}

// TestBoxVector decodes PROTOCOL.md's Box vector and encodes it back to
// the same bytes: the document's field names and formats are the server's.
func TestBoxVector(t *testing.T) {
	doc, err := os.ReadFile("../../protocol/PROTOCOL.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```json Box\n(.*?)\n```").FindSubmatch(doc)
	if m == nil {
		t.Fatal("PROTOCOL.md has no Box vector")
	}
	var info BoxInfo
	if err := json.Unmarshal(m[1], &info); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	if info.Box != 4242 || info.Seq != 9 || info.Since != 0 || info.Changes != 5 || info.LastSeq != 7 || info.LastTime == nil || !info.LastTime.Equal(at) {
		t.Fatalf("Box vector decodes to %+v", info)
	}
	if b, err := json.Marshal(info); err != nil || string(b) != string(m[1]) {
		t.Fatalf("re-encoded %s (%v), the vector is %s", b, err, m[1])
	}
}

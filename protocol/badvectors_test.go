package protocol

import (
	"encoding/hex"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
)

// The bad-frame vectors of PROTOCOL.md ("Rejecting bad input"): each
// breaks one rule, and the table names the error a decoder must give.

// badVectors are the rows the document must keep (an edge of the spec an
// outside implementation had to guess).
var badVectors = []string{
	"BadAreaDeltaPrev", "BadDeltaRangePrev", "BadDeltaRangeEmptyLong", "BadAreaSnapshotPadding", "BadAreaSnapshotLong",
	"BadPresenceCells", "BadPresenceSide", "BadPresenceCell", "BadPresenceTwo",
	"BadPresenceOverlong", "BadPresenceHuge", "BadPresenceVarintEnd",
	"BadWelcomeV2Short", "BadWelcomeV1Long", "BadWelcomeVersion",
	"BadAnnounceControl", "BadAnnounceWithdrawalText", "BadAnnounceCut",
}

var badRowRE = regexp.MustCompile("(?m)^\\| (Bad\\w+) \\| [^|]+ \\| `(Err\\w+)` \\| `([0-9a-f ]+)` \\|$")

// namedErrors maps each error's name in the document to the error.
var namedErrors = map[string]error{
	"ErrShort": ErrShort, "ErrTrailing": ErrTrailing, "ErrType": ErrType, "ErrVersion": ErrVersion,
	"ErrCount": ErrCount, "ErrIndex": ErrIndex, "ErrOrder": ErrOrder, "ErrParam": ErrParam,
	"ErrEncoding": ErrEncoding, "ErrRoaring": ErrRoaring, "ErrChecked": ErrChecked, "ErrField": ErrField,
}

// decodeFully decodes b as whatever frame its type byte names, payload
// included, and returns the first error.
func decodeFully(b []byte) error {
	t, err := PeekType(b)
	if err != nil {
		return err
	}
	switch t {
	case TypeWelcome:
		_, err = DecodeWelcome(b)
	case TypeSnapshot:
		var s Snapshot
		if s, err = DecodeSnapshot(b); err == nil {
			err = s.Bits(new(Bitset))
		}
	case TypeDelta:
		var d Delta
		if d, err = DecodeDelta(b); err == nil {
			_, err = d.AppendIndexes(nil)
		}
	case TypeStats:
		_, err = DecodeStats(b)
	case TypeReject:
		var r Reject
		if r, err = DecodeReject(b); err == nil {
			_, err = r.AppendIndexes(nil)
		}
	case TypeResync:
		_, err = DecodeResync(b)
	case TypeAreaSnapshot:
		var s AreaSnapshot
		if s, err = DecodeAreaSnapshot(b); err == nil {
			_, err = s.Apply(new(Bitset), nil)
		}
	case TypeAreaDelta:
		var d AreaDelta
		if d, err = DecodeAreaDelta(b); err == nil {
			_, err = d.AppendIndexes(nil)
		}
	case TypeDeltaRange:
		var d DeltaRange
		if d, err = DecodeDeltaRange(b); err == nil {
			_, err = d.AppendIndexes(nil)
		}
	case TypePresence:
		_, err = DecodePresence(b)
	case TypeAnnounce:
		_, err = DecodeAnnounce(b)
	case TypeSet:
		var s Set
		if s, err = DecodeSet(b); err == nil {
			_, err = s.AppendChanges(nil)
		}
	case TypeResyncRequest:
		_, err = DecodeResyncRequest(b)
	case TypeViewport:
		_, err = DecodeViewport(b)
	}
	return err
}

func TestBadVectorsInSpec(t *testing.T) {
	doc, err := os.ReadFile("PROTOCOL.md")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, m := range badRowRE.FindAllStringSubmatch(string(doc), -1) {
		name, errName := m[1], m[2]
		seen[name] = true
		b, err := hex.DecodeString(strings.ReplaceAll(m[3], " ", ""))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		want, ok := namedErrors[errName]
		if !ok {
			t.Errorf("%s: PROTOCOL.md names %s, which is no error of the package", name, errName)
			continue
		}
		got := decodeFully(b)
		if !errors.Is(got, want) {
			t.Errorf("%s: decoder says %v, PROTOCOL.md says %s", name, got, errName)
		}
		for other, e := range namedErrors {
			if e != want && errors.Is(got, e) {
				t.Errorf("%s: error %v is also %s", name, got, other)
			}
		}
	}
	for _, name := range badVectors {
		if !seen[name] {
			t.Errorf("PROTOCOL.md has no row for bad vector %s", name)
		}
	}
}

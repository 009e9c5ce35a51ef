package cluster

import (
	"slices"
	"testing"

	"checkgrid/protocol"
)

// A batch is sorted with one change per box, the later intent winning.
func TestMergeLatestIntentWins(t *testing.T) {
	intents := []intent{
		{changes: []protocol.Change{{Index: 9, Value: true}, {Index: 3, Value: true}}},
		{changes: []protocol.Change{{Index: 3, Value: false}}},
		{changes: []protocol.Change{{Index: 5, Value: true}, {Index: 9, Value: false}}},
		{changes: []protocol.Change{{Index: 9, Value: true}}},
	}
	got := merge(nil, intents)
	want := []protocol.Change{{Index: 3, Value: false}, {Index: 5, Value: true}, {Index: 9, Value: true}}
	if !slices.Equal(got, want) {
		t.Fatalf("merged %v, want %v", got, want)
	}
	if _, err := protocol.AppendSet(nil, got); err != nil {
		t.Fatalf("not a valid Set: %v", err)
	}
}

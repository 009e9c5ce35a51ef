package link

import "testing"

func TestStateString(t *testing.T) {
	for s, want := range map[State]string{Connecting: "connecting", Connected: "connected", Reconnecting: "reconnecting", Failed: "failed", 9: "State(9)"} {
		if got := s.String(); got != want {
			t.Errorf("State %d: %q, want %q", uint8(s), got, want)
		}
	}
}

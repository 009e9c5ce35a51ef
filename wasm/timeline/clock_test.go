package timeline

import (
	"testing"
	"time"
)

func TestClock(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	c := Clock{At: t0, Real: 10 * time.Second, Speed: 1440, Running: true}
	if got := c.Now(10 * time.Second); !got.Equal(t0) {
		t.Errorf("Now at its own start = %v", got)
	}
	if got := c.Now(5 * time.Second); !got.Equal(t0) {
		t.Errorf("Now before its start = %v, want %v", got, t0)
	}
	// A day a minute: a real minute is a day.
	if got := c.Now(70 * time.Second); !got.Equal(t0.Add(24 * time.Hour)) {
		t.Errorf("a minute at 1440× = %v, want a day on", got)
	}
	if got := c.Due(t0.Add(24 * time.Hour)); got != 70*time.Second {
		t.Errorf("Due(a day on) = %v, want 70 s", got)
	}
	if got := c.Due(t0.Add(-time.Hour)); got != 10*time.Second {
		t.Errorf("Due(before the playhead) = %v, want now (10 s)", got)
	}
	c.Running = false
	if got := c.Now(time.Hour); !got.Equal(t0) {
		t.Errorf("a stopped clock moved to %v", got)
	}
	if got := c.Due(t0.Add(time.Hour)); got != 10*time.Second {
		t.Errorf("Due on a stopped clock = %v", got)
	}
}

func TestSpan(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	s := Span{First: 0, Last: 10, Start: t0, End: t0.Add(time.Hour)}
	for _, c := range []struct{ in, want time.Time }{
		{t0.Add(-time.Minute), t0}, {t0.Add(time.Minute), t0.Add(time.Minute)}, {t0.Add(2 * time.Hour), t0.Add(time.Hour)},
	} {
		if got := s.Clamp(c.in); !got.Equal(c.want) {
			t.Errorf("Clamp(%v) = %v, want %v", c.in, got, c.want)
		}
	}
	if s.Empty() || !(Span{First: 3, Last: 3, Start: t0, End: t0}).Empty() {
		t.Error("Empty")
	}
}

func TestBase(t *testing.T) {
	for in, want := range map[string]string{
		"ws://127.0.0.1:8080/ws":     "http://127.0.0.1:8080",
		"wss://grid.example.org/ws":  "https://grid.example.org",
		"WSS://grid.example.org/x/y": "https://grid.example.org",
	} {
		if got, err := Base(in); err != nil || got != want {
			t.Errorf("Base(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "http://host/ws", "ws:///ws", "::"} {
		if got, err := Base(bad); err == nil {
			t.Errorf("Base(%q) = %q, want an error", bad, got)
		}
	}
}

func TestModeString(t *testing.T) {
	for m, want := range map[Mode]string{Live: "live", Paused: "paused", Playing: "playing", 7: "Mode(7)"} {
		if got := m.String(); got != want {
			t.Errorf("%d: %q, want %q", uint8(m), got, want)
		}
	}
}

// TestSpeeds: from real time to a day a minute, rising, each step a
// bucket of the ladder at 10 frames a second.
func TestSpeeds(t *testing.T) {
	if Speeds[0].Factor != 1 || Speeds[len(Speeds)-1].Factor != 1440 || DefaultSpeed >= len(Speeds) {
		t.Fatalf("speeds %v, default %d", Speeds, DefaultSpeed)
	}
	for i := 1; i < len(Speeds); i++ {
		if Speeds[i].Factor <= Speeds[i-1].Factor {
			t.Errorf("speed %d (%v) not above %d", i, Speeds[i], i-1)
		}
	}
}

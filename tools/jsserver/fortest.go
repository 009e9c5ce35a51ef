package jsserver

// TB is what ForTest needs of a test or benchmark; testing.TB has it (an
// interface, so that tools/natsd does not link the testing package).
type TB interface {
	Helper()
	TempDir() string
	Fatal(args ...any)
	Cleanup(func())
}

// ForTest starts an n-server cluster on loopback (Plan, Cluster) with its
// stores in a temporary directory of tb, stopped when the test ends; a
// failure to start fails tb.
func ForTest(tb TB, n int) []*Server {
	tb.Helper()
	plan, err := Plan(tb.TempDir(), n)
	if err != nil {
		tb.Fatal(err)
	}
	ss, err := Cluster(plan)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		for _, s := range ss {
			s.Stop()
		}
	})
	return ss
}

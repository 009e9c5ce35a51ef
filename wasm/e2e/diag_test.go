//go:build !js

package e2e

import (
	"testing"
	"time"
)

func TestDiag(t *testing.T) {
	screenW, screenH = 500, 400
	srv := startServer(t)
	b := newBrowser(t)
	p := b.open("page", srv.URL+"/#x=500&y=500&z=24")
	p.waitReady()
	for _, z := range []string{"#x=500&y=500&z=24", "#x=500&y=500&z=4", "#x=500&y=500&z=0.5"} {
		p.setHash(z)
		time.Sleep(time.Second)
		h0, _ := p.hooks()
		t0 := time.Now()
		time.Sleep(3 * time.Second)
		h1, _ := p.hooks()
		t.Logf("%s: fps %.1f", z, float64(h1.Frames-h0.Frames)/time.Since(t0).Seconds())
		for range 3 {
			t1 := time.Now()
			p.screenshot()
			t.Logf("screenshot %v", time.Since(t1))
		}
	}
}

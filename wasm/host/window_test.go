package host

import "testing"

// TestWindowSize: the window is a laptop's 1280×800 on a large screen and
// 90% of a small one, so it opens whole (issue 24: 1280×800 on 1024×768).
func TestWindowSize(t *testing.T) {
	for _, c := range []struct{ sw, sh, w, h int }{
		{1920, 1080, 1280, 800},
		{1024, 768, 921, 691},
		{1280, 800, 1152, 720},
		{0, 0, 1280, 800}, // unknown screen
	} {
		if w, h := WindowSize(c.sw, c.sh); w != c.w || h != c.h {
			t.Errorf("on %dx%d: %dx%d, want %dx%d", c.sw, c.sh, w, h, c.w, c.h)
		}
	}
}

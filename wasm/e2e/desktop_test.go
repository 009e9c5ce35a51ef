//go:build !js

package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The desktop client is a cgo build of ~45 s cold, so only the tests that
// need it pay for it.
var (
	desktopOnce sync.Once
	desktopBin  string
	desktopErr  error
)

func buildDesktop(t *testing.T) string {
	t.Helper()
	desktopOnce.Do(func() {
		t0 := time.Now()
		bin := filepath.Join(binDir, "desktop")
		if out, err := goBuild(bin, "./wasm"); err != nil {
			desktopErr = fmt.Errorf("building the desktop client: %v\n%s", err, out)
			return
		}
		desktopBin = bin
		t.Logf("built the desktop client in %v", time.Since(t0).Round(time.Millisecond))
	})
	if desktopErr != nil {
		t.Fatal(desktopErr)
	}
	return desktopBin
}

// xvfb starts a virtual X server on a free display and returns ":N".
func xvfb(t *testing.T, w, h int) string {
	t.Helper()
	var last string
	for n := 90; n < 130; n++ {
		if displayTaken(n) {
			continue
		}
		var out lockedBuffer
		cmd := exec.Command("Xvfb", fmt.Sprintf(":%d", n), "-screen", "0", fmt.Sprintf("%dx%dx24", w, h), "-nolisten", "tcp")
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatalf("starting Xvfb: %v (run `make deps`)", err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		socket := fmt.Sprintf("/tmp/.X11-unix/X%d", n)
		deadline := time.Now().Add(10 * time.Second)
		for !exists(socket) && time.Now().Before(deadline) {
			select {
			case <-exited:
				deadline = time.Now() // lost a race for the display: next
			case <-time.After(20 * time.Millisecond):
			}
		}
		if exists(socket) {
			t.Cleanup(func() { stopXvfb(cmd, exited) })
			return fmt.Sprintf(":%d", n)
		}
		stopXvfb(cmd, exited)
		last = out.String()
	}
	t.Fatalf("no display for Xvfb in :90–:129; last output:\n%s", last)
	return ""
}

// xvfbStop bounds how long Xvfb may take to exit on SIGTERM (it removes
// its lock file and socket then) before it is killed.
const xvfbStop = 5 * time.Second

// stopXvfb ends Xvfb with SIGTERM, so that it removes its lock file and
// socket: killed, it left them, and the displays ran out after a few
// dozen runs on one machine.
func stopXvfb(cmd *exec.Cmd, exited <-chan struct{}) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(xvfbStop):
		_ = cmd.Process.Kill()
		<-exited
	}
}

// displayTaken reports whether X display :n belongs to a running X
// server. A lock file naming a process that is gone (an Xvfb killed before
// stopXvfb) is stale: it and the socket are removed, as X itself would.
func displayTaken(n int) bool {
	lock, socket := fmt.Sprintf("/tmp/.X%d-lock", n), fmt.Sprintf("/tmp/.X11-unix/X%d", n)
	b, err := os.ReadFile(lock)
	if err != nil {
		return exists(lock) || exists(socket)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 || syscall.Kill(pid, 0) != syscall.ESRCH {
		return true
	}
	if err := os.Remove(socket); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return true
	}
	return os.Remove(lock) != nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// xrun runs an X tool on display and returns its stdout.
func xrun(t *testing.T, display string, name string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// rootShot captures the whole X screen.
func rootShot(t *testing.T, display string) shot {
	t.Helper()
	s, err := decodeShot(xrun(t, display, "import", "-window", "root", "png:-"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// windowGeometry finds the client's window and returns its position and
// size on the root window.
func windowGeometry(t *testing.T, display string) (x0, y0, w, h int) {
	t.Helper()
	id := strings.Fields(string(xrun(t, display, "xdotool", "search", "--sync", "--onlyvisible", "--name", "checkgrid")))
	if len(id) == 0 {
		t.Fatal("xdotool found no checkgrid window")
	}
	vals := map[string]int{}
	for _, line := range strings.Split(string(xrun(t, display, "xdotool", "getwindowgeometry", "--shell", id[0])), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			n, _ := strconv.Atoi(v)
			vals[k] = n
		}
	}
	return vals["X"], vals["Y"], vals["WIDTH"], vals["HEIGHT"]
}

// desktopProc is a running desktop client.
type desktopProc struct {
	logs *lockedBuffer
	stop func() // kills it and waits for it to exit
}

// startDesktop runs the desktop client bin on display with args until
// the test ends, and returns once it is online on srv and has said it is
// ready; on failure it saves its log and the X screen.
func startDesktop(t *testing.T, srv *server, bin, display string, args ...string) *desktopProc {
	t.Helper()
	return startDesktopEnv(t, srv, bin, display, nil, args...)
}

// startDesktopEnv is startDesktop with env added to the client's
// environment. Its config directory is the test's own unless env names
// one (XDG_CONFIG_HOME): a test keeps nothing in the machine's.
func startDesktopEnv(t *testing.T, srv *server, bin, display string, env []string, args ...string) *desktopProc {
	t.Helper()
	logs := new(lockedBuffer)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(append(os.Environ(), "DISPLAY="+display, "XDG_CONFIG_HOME="+t.TempDir()), env...) // the last of a name wins
	cmd.Stdout, cmd.Stderr = logs, logs
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			_ = cmd.Process.Kill()
			<-exited
		})
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("desktop log: %s", saveArtifact(t, "desktop.log", []byte(logs.String())))
			t.Logf("X screen: %s", saveArtifact(t, "screen.png", rootShot(t, display).png))
		}
	})
	online := srv.stats().Online
	srv.waitStats("the desktop client is online", 60*time.Second, func(s stats) bool {
		select {
		case <-exited:
			t.Fatalf("desktop client exited: %s", logs.String())
		default:
		}
		return s.Online > online
	})
	waitLog(t, logs, "checkgrid: ready", 60*time.Second)
	t.Logf("desktop client ready %v after start", time.Since(t0).Round(time.Millisecond))
	return &desktopProc{logs: logs, stop: stop}
}

// waitLog waits until logs hold want.
func waitLog(t *testing.T, logs *lockedBuffer, want string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(logs.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("desktop client did not say %q within %v:\n%s", want, timeout, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestDesktop: the native client starts in a real X window under Xvfb,
// connects (the server counts it online), draws the grid the server holds
// at the box its checkgrid:// link names, and a synthetic X click toggles exactly the
// box under the pointer on the server.
func TestDesktop(t *testing.T) {
	srv := startServer(t) // first: it finds the repository root
	bin := buildDesktop(t)
	w := srv.watch(t)
	const X, Y, Z = 300, 600, 24
	w.set(on(X-1, Y), on(X+1, Y+1))
	w.waitBox(box(X+1, Y+1), true, 5*time.Second)

	// The client asks for a 1280×800 window: the screen is larger, so
	// the window is whole on it.
	display := xvfb(t, 1600, 1000)
	// The server and the view as a player would paste them: one
	// checkgrid:// link (loopback, so plain ws).
	startDesktop(t, srv, bin, display, fmt.Sprintf("checkgrid://%s/#x=%d&y=%d&z=%d", srv.addr, X, Y, Z))

	wx, wy, ww, wh := windowGeometry(t, display)
	t.Logf("window at (%d,%d), %dx%d", wx, wy, ww, wh)
	v := view{X: X, Y: Y, Zoom: Z, W: ww, H: wh, OffX: float64(wx), OffY: float64(wy)}
	waitScreen := func(what string, want []expect) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			s := rootShot(t, display)
			why := s.check(v, want)
			if why == "" {
				return
			}
			if time.Now().After(deadline) {
				dir, _ := artifacts()
				t.Fatalf("desktop: %s: %s\nscreen: %s (artifacts in %s)", what, why, saveArtifact(t, "mismatch.png", s.png), dir)
			}
		}
	}
	waitScreen("the server's boxes drawn at -x -y -z", []expect{
		{X - 1, Y, lookChecked}, {X, Y, lookUnchecked}, {X + 1, Y, lookUnchecked}, {X + 1, Y + 1, lookChecked}, {X, Y + 1, lookUnchecked},
	})

	before, _ := srv.snapshot()
	cx, cy := v.centre(X, Y)
	xrun(t, display, "xdotool", "mousemove", "--sync", fmt.Sprint(int(cx)), fmt.Sprint(int(cy)))
	xrun(t, display, "xdotool", "mousedown", "1")
	// Hold the button like a person: the game polls it once a frame. The
	// assertions below wait on the server, not on this pause.
	time.Sleep(200 * time.Millisecond)
	xrun(t, display, "xdotool", "mouseup", "1")
	waitFlip(t, srv, before, box(X, Y))
	w.waitBox(box(X, Y), true, 5*time.Second)
	waitScreen("the clicked box checked", []expect{
		{X - 1, Y, lookChecked}, {X, Y, lookChecked}, {X + 1, Y, lookUnchecked}, {X, Y - 1, lookUnchecked},
	})
}

// TestDesktopWithoutDisplay: the desktop build on a machine without a
// display (a server, ssh) prints usage for -h and a clear message
// otherwise, never a GLFW panic.
func TestDesktopWithoutDisplay(t *testing.T) {
	buildServer(t) // finds the repository root and the binaries' folder
	bin := buildDesktop(t)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DISPLAY=") && !strings.HasPrefix(kv, "WAYLAND_DISPLAY=") {
			env = append(env, kv)
		}
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-h"}, 0, "Usage:"},
		{nil, 1, "no display"},
		{[]string{"-bogus"}, 2, "flag provided but not defined"},
	} {
		cmd := exec.Command(bin, tc.args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != tc.code || !strings.Contains(string(out), tc.want) || strings.Contains(string(out), "panic") {
			t.Errorf("checkgrid-desktop %q without a display: exit %d, output:\n%s\nwant exit %d and %q, no panic", tc.args, code, out, tc.code, tc.want)
		}
	}
}

// TestDesktopFitsSmallScreen: on a 1024×768 screen the window opens whole
// on it (it asked for 1280×800 and lost its bottom and right: the help
// line and the minimap), with the minimap's frame in its bottom-right
// corner on screen.
func TestDesktopFitsSmallScreen(t *testing.T) {
	srv := startServer(t)
	bin := buildDesktop(t)
	const sw, sh = 1024, 768
	display := xvfb(t, sw, sh)
	startDesktop(t, srv, bin, display, "checkgrid://"+srv.addr+"/")
	wx, wy, ww, wh := windowGeometry(t, display)
	t.Logf("window at (%d,%d), %dx%d", wx, wy, ww, wh)
	if wx < 0 || wy < 0 || wx+ww > sw || wy+wh > sh {
		t.Fatalf("the window (%d,%d) %dx%d does not fit the %dx%d screen", wx, wy, ww, wh, sw, sh)
	}
	// The minimap's frame (#5f6368), 2 px wide around it, 12 px from the
	// window's right and bottom edges (dpr 1): its right edge, half way up.
	size := min(160, int(float64(min(ww, wh))*0.3))
	fx, fy := wx+ww-12+1, wy+wh-12-size/2
	deadline := time.Now().Add(15 * time.Second)
	for {
		s := rootShot(t, display)
		if s.near(image.Rect(fx, fy-5, fx+1, fy+5), 0x5f, 0x63, 0x68, 12) >= 8 {
			return
		}
		if time.Now().After(deadline) {
			r, g, b := s.rgb(fx, fy)
			t.Fatalf("no minimap frame at (%d,%d): %.0f,%.0f,%.0f; screen %s", fx, fy, r, g, b, saveArtifact(t, "small-screen.png", s.png))
		}
	}
}

package checkgrid

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// importRule says that pkg (built for goos) must not depend, directly or
// not, on anything matching forbidden, except what allowed matches.
type importRule struct {
	pkg, goos string
	direct    bool // only pkg's own imports (what roaring needs is roaring's business)
	why       string
	forbidden func(dep string, std bool) bool
}

// TestImportRules keeps the architecture the README draws: the hub speaks to
// connections only through its port, protocol/ stays portable, the log
// knows nothing of the hub.
func TestImportRules(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go command")
	}
	own := func(dep string) bool { return strings.HasPrefix(dep, "checkgrid") }
	portable := func(dep string, _ bool) bool {
		if strings.HasPrefix(dep, "checkgrid/") {
			return !strings.HasPrefix(dep, "checkgrid/protocol")
		}
		return strings.Contains(dep, ".") && !strings.HasPrefix(dep, "github.com/RoaringBitmap/roaring/")
	}
	rules := []importRule{
		{"./server/hub", "linux", false, "the hub reaches sockets only through its Conn port (server/wsconn)",
			func(dep string, _ bool) bool {
				return strings.HasPrefix(dep, "github.com/coder/websocket") || dep == "checkgrid/server/wsconn" || dep == "checkgrid/server/web"
			}},
		{"./protocol", "linux", true, "protocol/ is shared by server and clients: the standard library and roaring only", portable},
		{"./protocol", "js", true, "protocol/ builds for the browser with the same rule", portable},
		{"./server/store", "linux", false, "the log keeps no application state and never calls the hub",
			func(dep string, _ bool) bool {
				return own(dep) && dep != "checkgrid/server/store" && dep != "checkgrid/protocol" && dep != "checkgrid/server/atomicfile"
			}},
		{"./wasm/game", "js", false, "the game draws and turns input into actions; the session owns the network link",
			func(dep string, _ bool) bool {
				return strings.HasPrefix(dep, "github.com/coder/websocket") || dep == "checkgrid/wasm/conn"
			}},
		{"./wasm/game", "linux", false, "the same for the desktop build",
			func(dep string, _ bool) bool {
				return strings.HasPrefix(dep, "github.com/coder/websocket") || dep == "checkgrid/wasm/conn"
			}},
		{"./server/wsframe", "linux", false, "the header encoder is a leaf both the hub and the transport import",
			func(dep string, std bool) bool { return !std && dep != "checkgrid/server/wsframe" }},
	}
	for _, r := range rules {
		cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{.Standard}}", r.pkg)
		if r.direct {
			// Imports of the package itself; a dot in the first element
			// is what tells a module path from the standard library.
			cmd = exec.Command("go", "list", "-f", `{{join .Imports "\n"}}`, r.pkg)
		}
		cmd.Env = append(os.Environ(), "GOOS="+r.goos)
		if r.goos == "js" {
			cmd.Env = append(cmd.Env, "GOARCH=wasm")
		}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", r.pkg, err, out)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			dep, std, _ := strings.Cut(line, " ")
			if r.forbidden(dep, std == "true") {
				t.Errorf("%s (GOOS=%s) depends on %s: %s", r.pkg, r.goos, dep, r.why)
			}
		}
	}
}

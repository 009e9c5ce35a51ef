package checkgrid

import (
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
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
// connections only through its port and follows the pipeline without
// knowing the log behind it, protocol/ stays portable, the log knows
// nothing of the hub.
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
		{"./server/hub", "linux", false, "the hub reaches sockets only through its Socket port (server/wsconn)",
			func(dep string, _ bool) bool {
				return strings.HasPrefix(dep, "github.com/coder/websocket") || dep == "checkgrid/server/wsconn" || dep == "checkgrid/server/web"
			}},
		{"./server/hub", "linux", false, "the hub only follows committed history (its Upstream): it neither logs nor sequences",
			func(dep string, _ bool) bool {
				return dep == "checkgrid/server/store" || dep == "checkgrid/server/cluster"
			}},
		{"./server/pipeline", "linux", false, "the Sequencer knows its Log only as a port: the store and the cluster plug in from outside",
			func(dep string, _ bool) bool {
				return dep == "checkgrid/server/store" || dep == "checkgrid/server/cluster" || dep == "checkgrid/server/hub"
			}},
		{"./server/cluster", "linux", true, "a cluster node hosts a Log for the one Sequencer (server/pipeline), not a pipeline of its own",
			func(dep string, _ bool) bool { return dep == "checkgrid/server/grid" || dep == "checkgrid/server/hub" }},
		{"./protocol", "linux", true, "protocol/ is shared by server and clients: the standard library and roaring only", portable},
		{"./protocol", "js", true, "protocol/ builds for the browser with the same rule", portable},
		{"./server/store", "linux", false, "the log keeps no application state and never calls the hub",
			func(dep string, _ bool) bool {
				// protocol/bitio: the run-coded sets use the wire's bit packing
				// (one implementation, so the two cannot drift apart).
				return own(dep) && dep != "checkgrid/server/store" && dep != "checkgrid/protocol" &&
					dep != "checkgrid/protocol/bitio" && dep != "checkgrid/server/atomicfile"
			}},
		{"./protocol/bitio", "linux", false, "the bit packing is a leaf protocol/ and the store import: the standard library only",
			func(dep string, std bool) bool { return !std && dep != "checkgrid/protocol/bitio" }},
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

// TestOneReplica keeps "check the seq, apply the flips" in one place
// (issue 20): in protocol/ exactly one type holds a grid (a Bitset field)
// or applies a Delta or AreaDelta (a method taking one), and it is
// Replica. Every follower of the server's frames goes through it.
func TestOneReplica(t *testing.T) {
	fset := token.NewFileSet()
	names, err := filepath.Glob(filepath.Join("protocol", "*.go"))
	if err != nil || len(names) == 0 {
		t.Fatalf("protocol/*.go: %v", err)
	}
	var files []*ast.File
	for _, n := range names {
		if strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, n, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	named := func(e ast.Expr, names ...string) bool {
		if s, ok := e.(*ast.StarExpr); ok {
			e = s.X
		}
		id, ok := e.(*ast.Ident)
		return ok && slices.Contains(names, id.Name)
	}
	replicas := map[string]bool{}
	for _, f := range files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.GenDecl:
				for _, s := range d.Specs {
					ts, ok := s.(*ast.TypeSpec)
					if !ok {
						continue
					}
					if st, isStruct := ts.Type.(*ast.StructType); isStruct {
						for _, fl := range st.Fields.List {
							if named(fl.Type, "Bitset") {
								replicas[ts.Name.Name] = true
							}
						}
					}
				}
			case *ast.FuncDecl:
				if d.Recv == nil {
					continue
				}
				for _, p := range d.Type.Params.List {
					if named(p.Type, "Delta", "AreaDelta") {
						replicas[strings.TrimPrefix(types.ExprString(d.Recv.List[0].Type), "*")] = true
					}
				}
			}
		}
	}
	if len(replicas) != 1 || !replicas["Replica"] {
		t.Errorf("replica types in protocol/: %v; want only Replica (one implementation of following a history)", slices.Sorted(maps.Keys(replicas)))
	}
}

// TestOneSequencer keeps "collect, encode one Delta, append until it
// sticks" in server/pipeline (issue 20): neither the cluster (a cluster's
// lease holder runs the same Sequencer with the stream as its Log) nor
// the hub (it follows what is committed) encodes a Delta. The store may:
// it rebuilds a stored Delta's broadcast bytes from its compact record.
func TestOneSequencer(t *testing.T) {
	fset := token.NewFileSet()
	var found []string
	for _, dir := range []string{filepath.Join("server", "cluster"), filepath.Join("server", "hub")} {
		found = append(found, deltaEncodes(t, fset, dir)...)
	}
	if len(found) > 0 {
		t.Errorf("Deltas encoded outside server/pipeline's Sequencer: %v", found)
	}
}

// deltaEncodes lists where the non-test Go files under dir call
// protocol.AppendDelta.
func deltaEncodes(t *testing.T, fset *token.FileSet, dir string) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok && sel.Sel.Name == "AppendDelta" {
				if x, ok := sel.X.(*ast.Ident); ok && x.Name == "protocol" {
					found = append(found, fset.Position(sel.Pos()).String())
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

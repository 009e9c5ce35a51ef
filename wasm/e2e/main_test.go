//go:build !js

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Paths shared by every test, set by buildServer.
var (
	repoRoot  string // the module root (go.mod)
	binDir    string // temporary, removed after the run
	serverBin string
)

// TestMain removes the binaries the tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// The server is built once, on first use (so `go test -run '^$' -bench .`
// costs nothing here): the binary embeds index.html and assets/, so it
// serves exactly the client that `make wasm` built.
var (
	serverOnce sync.Once
	serverErr  error
)

func buildServer(t testing.TB) string {
	t.Helper()
	serverOnce.Do(func() {
		if repoRoot, serverErr = findRoot(); serverErr != nil {
			return
		}
		wasm := filepath.Join(repoRoot, "assets", "checkgrid.wasm")
		if _, err := os.Stat(wasm); err != nil {
			serverErr = fmt.Errorf("%s is missing: run `make wasm` first (the server embeds it at build time)", wasm)
			return
		}
		if binDir, serverErr = os.MkdirTemp("", "checkgrid-e2e-bin-"); serverErr != nil {
			return
		}
		t0 := time.Now()
		bin := filepath.Join(binDir, "server")
		if out, err := goBuild(bin, "./server"); err != nil {
			serverErr = fmt.Errorf("building the server: %v\n%s", err, out)
			return
		}
		serverBin = bin
		t.Logf("built the server in %v", time.Since(t0).Round(time.Millisecond))
	})
	if serverErr != nil {
		t.Fatal(serverErr)
	}
	return serverBin
}

// findRoot walks up from the working directory to go.mod.
func findRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

func goBuild(out, pkg string) ([]byte, error) {
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = repoRoot
	return cmd.CombinedOutput()
}

// Artifacts: one folder per run, made on the first failure that saves one.
var (
	artifactsOnce sync.Once
	artifactsDir  string
	artifactsErr  error
)

func artifacts() (string, error) {
	artifactsOnce.Do(func() {
		dir := os.Getenv("E2E_ARTIFACTS")
		if dir == "" {
			dir = filepath.Join(os.TempDir(), "checkgrid-e2e-"+time.Now().Format("20060102-150405"))
		}
		artifactsErr = os.MkdirAll(dir, 0o755)
		artifactsDir = dir
	})
	return artifactsDir, artifactsErr
}

// saveArtifact writes data as <test>-<name> in the artifacts folder and
// returns its path (or a note saying why it could not).
func saveArtifact(t testing.TB, name string, data []byte) string {
	dir, err := artifacts()
	if err != nil {
		return fmt.Sprintf("(cannot save %s: %v)", name, err)
	}
	file := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()) + "-" + name
	path := filepath.Join(dir, file)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Sprintf("(cannot save %s: %v)", name, err)
	}
	return path
}

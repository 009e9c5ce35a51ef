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

// Paths shared by every test, set by TestMain.
var (
	repoRoot  string // the module root (go.mod)
	binDir    string // temporary, removed after the run
	serverBin string
)

// TestMain builds the server once: the binary embeds index.html and
// assets/, so it serves exactly the client that `make wasm` built.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var err error
	if repoRoot, err = findRoot(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	wasm := filepath.Join(repoRoot, "assets", "checkgrid.wasm")
	if _, err := os.Stat(wasm); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %s is missing: run `make wasm` first (the server embeds it at build time)\n", wasm)
		return 1
	}
	if binDir, err = os.MkdirTemp("", "checkgrid-e2e-bin-"); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(binDir)
	serverBin = filepath.Join(binDir, "server")
	t0 := time.Now()
	if out, err := goBuild(serverBin, "./server"); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: building the server: %v\n%s", err, out)
		return 1
	}
	fmt.Fprintf(os.Stderr, "e2e: built the server in %v\n", time.Since(t0).Round(time.Millisecond))
	return m.Run()
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
func saveArtifact(t *testing.T, name string, data []byte) string {
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

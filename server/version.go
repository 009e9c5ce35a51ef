package main

import (
	"runtime/debug"
	"strings"
)

// stampedVersion is set at link time by `make release`
// (-ldflags "-X main.stampedVersion=v1.2.3"). It has to be a package
// variable: -X can set nothing else.
var stampedVersion string

// versionPlaceholder is the text in index.html that the server replaces
// with its version.
const versionPlaceholder = "CHECKGRID_VERSION"

// version is the stamped version, or else what the Go toolchain recorded:
// the module version of a `go install` or the VCS revision of a build in a
// checkout (with +dirty for uncommitted changes), else "dev".
func version() string {
	if stampedVersion != "" {
		return stampedVersion
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if rev == "" {
		return "dev"
	}
	return "dev-" + rev[:min(len(rev), 12)] + dirty
}

// versionLine is what -version prints.
func versionLine() string {
	bi, _ := debug.ReadBuildInfo()
	goVersion := "unknown"
	if bi != nil {
		goVersion = bi.GoVersion
	}
	return strings.Join([]string{"checkgrid", version(), goVersion}, " ")
}

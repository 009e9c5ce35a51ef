package checkgrid

import (
	"embed"
	"io/fs"
)

//go:embed index.html assets
var files embed.FS

// Files returns the embedded page and assets, rooted so that "index.html" and
// "assets/checkgrid.wasm" are their names. The FS is read-only and safe for
// concurrent use.
func Files() fs.FS { return files }

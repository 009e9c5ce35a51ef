package history

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"checkgrid/server/store"
)

// usage is the history command's help.
const usage = `usage:
  checkgrid history verify <data directory | export file | http(s)://server>
      check the kept history end to end; names the first record or keyframe that fails
  checkgrid history export [--from SEQ] [--to SEQ] <data directory | http(s)://server> <file>
      write the grid at --from (default: the first kept seq) and every record to --to
      (default: the last) to one file (PROTOCOL.md, "Export file")
  checkgrid history import <file> <new data directory>
      write an export file's history to a new data directory (missing or empty), then
      verify it; a bad file is refused, naming its first bad entry, and leaves nothing
`

// errUsage means the command line is wrong: exit 2 with the usage.
var errUsage = errors.New("usage")

// Main runs `checkgrid history …` with args (after "history") and returns
// the process's exit code: 0 ok, 1 failed, 2 usage.
func Main(args []string, stdout, stderr io.Writer) int {
	var err error
	switch {
	case len(args) == 2 && args[0] == "verify":
		err = verify(args[1], stdout)
	case len(args) > 0 && args[0] == "export":
		err = export(args[1:], stdout, stderr)
	case len(args) == 3 && args[0] == "import":
		err = importFile(args[1], args[2], stdout)
	default:
		err = errUsage
	}
	switch {
	case errors.Is(err, errUsage):
		fmt.Fprint(stderr, usage)
		return 2
	case err != nil:
		fmt.Fprintf(stderr, "checkgrid history %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

func export(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.Uint64("from", 0, "first seq: the grid there, then the records after it (0: the first kept)")
	to := fs.Uint64("to", 0, "last seq (0: the last kept)")
	if err := fs.Parse(args); err != nil || fs.NArg() != 2 {
		return errUsage
	}
	start := time.Now()
	h, err := ExportFile(fs.Arg(1), fs.Arg(0), *from, *to)
	if err != nil {
		return err
	}
	fi, err := os.Stat(fs.Arg(1))
	if err != nil {
		return fmt.Errorf("history: export: %w", err)
	}
	fmt.Fprintf(stdout, "ok: %s: seqs %d..%d, %d records, %d bytes, %v\n", fs.Arg(1), h.From, h.To, h.To-h.From, fi.Size(), time.Since(start).Round(time.Millisecond))
	return nil
}

// importFile imports path into dir and verifies the result end to end.
func importFile(path, dir string, stdout io.Writer) error {
	start := time.Now()
	h, err := ImportFile(path, dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "imported: %s: seqs %d..%d, %d records into %s, %v\n", path, h.From, h.To, h.To-h.From, dir, time.Since(start).Round(time.Millisecond))
	return verify(dir, stdout)
}

func isURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

func trimURL(s string) string { return strings.TrimSuffix(s, "/") }

func parseStamp(s string) (int64, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, err
	}
	return t.UnixNano(), nil
}

func verify(target string, out io.Writer) error {
	if isURL(target) {
		return VerifyURL(trimURL(target), out)
	}
	if fi, err := os.Stat(target); err == nil && fi.Mode().IsRegular() {
		return verifyExport(target, out)
	}
	v, err := store.OpenHistory(target).Verify()
	if err != nil {
		return err
	}
	from := fmt.Sprintf("from keyframe %d", v.ChainFrom)
	if v.ChainFromBase {
		from += " (its base: complete)"
	} else {
		from += " (taken as given: earlier history was dropped)"
	}
	fmt.Fprintf(out, "ok: %s history %d..%d, %d records, %d keyframes, chain %x %s\n", target, v.First, v.Last, v.Records, v.Keyframes, v.Chain, from)
	return nil
}

// verifyExport reads an export file to its end: every entry applied in
// order, the trailer's SHA-256 matched. It prints the chain at its last
// seq, to compare with a server's or a data directory's.
func verifyExport(path string, out io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	defer f.Close()
	x, err := ReadExport(f)
	if err != nil {
		return err
	}
	for {
		if _, err := x.Next(); err == io.EOF {
			break
		} else if err != nil {
			return err
		}
	}
	chain := "not kept (history at its start predates the chain)"
	if x.Header.Chained {
		chain = fmt.Sprintf("%x", x.Chain)
	}
	fmt.Fprintf(out, "ok: %s export %d..%d, %d records, %d boxes checked at %d, chain at %d %s\n", path, x.Header.From, x.Header.To, x.Header.To-x.Header.From, x.Replica.Grid.Count(), x.Replica.Seq, x.Replica.Seq, chain)
	return nil
}

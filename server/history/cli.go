package history

import (
	"fmt"
	"io"
	"strings"

	"checkgrid/server/store"
)

// usage is the history command's help.
const usage = `usage:
  checkgrid history verify <data directory | http(s)://server>
      check the kept history end to end; names the first record or keyframe that fails
`

// Main runs `checkgrid history …` with args (after "history") and returns
// the process's exit code: 0 ok, 1 verification failed, 2 usage.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) != 2 || args[0] != "verify" {
		fmt.Fprint(stderr, usage)
		return 2
	}
	if err := verify(args[1], stdout); err != nil {
		fmt.Fprintln(stderr, "checkgrid history verify:", err)
		return 1
	}
	return 0
}

func verify(target string, out io.Writer) error {
	if strings.HasPrefix(target, "http://") || strings.HasPrefix(target, "https://") {
		return VerifyURL(strings.TrimSuffix(target, "/"), out)
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

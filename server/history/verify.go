package history

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/store"
)

// ErrVerify means a served history does not hold together: a record that
// does not apply, or a chain that does not reach the published head.
var ErrVerify = errors.New("history: verify failed")

// Bounds of a remote verify.
const (
	// maxAnswer bounds what one API answer may be read to: a page of
	// entries, or a Snapshot.
	maxAnswer = MaxPageBytes + protocol.MaxServerMessage
	// fetchTimeout bounds one request.
	fetchTimeout = 30 * time.Second
)

// VerifyURL checks the history a server publishes at base (http://host):
// the grid at first_seq, then every record to last_seq applied in order
// and stepped through the hash chain from first_chain (with each record's
// epoch from the extent's spans), which must reach the extent's chain, and
// the grid it reaches must be the server's at last_seq. It names the first
// record that fails.
func VerifyURL(base string, out io.Writer) error {
	c := &http.Client{Timeout: fetchTimeout}
	var ex Extent
	b, _, err := fetch(c, base+"/api/history")
	if err == nil {
		err = json.Unmarshal(b, &ex)
	}
	if err != nil {
		return fmt.Errorf("history: extent: %w", err)
	}
	rep, err := fetchGrid(c, base, ex.FirstSeq)
	if err != nil {
		return err
	}
	epochs := make([]uint64, len(ex.Epochs))
	for i, e := range ex.Epochs {
		if epochs[i], err = strconv.ParseUint(e.Epoch, 10, 64); err != nil {
			return fmt.Errorf("%w: extent epoch %q", ErrVerify, e.Epoch)
		}
	}
	var chain store.Chain
	chained := ex.FirstChain != ""
	if chained {
		if n, err := hex.Decode(chain[:], []byte(ex.FirstChain)); err != nil || n != len(chain) {
			return fmt.Errorf("%w: extent first_chain %q", ErrVerify, ex.FirstChain)
		}
	}
	span := 0
	records := 0
	for seq := ex.FirstSeq + 1; seq <= ex.LastSeq; {
		b, _, err := fetch(c, fmt.Sprintf("%s/api/history/deltas?from=%d&to=%d", base, seq, ex.LastSeq))
		if err != nil {
			return err
		}
		for len(b) > 0 {
			e, rest, err := NextEntry(b)
			if err == nil && e.Seq != seq {
				err = fmt.Errorf("entry of seq %d", e.Seq)
			}
			if err == nil {
				_, err = rep.Apply(e.Frame)
			}
			if err != nil {
				return fmt.Errorf("%w: record seq %d: %w", ErrVerify, seq, err)
			}
			for span+1 < len(ex.Epochs) && ex.Epochs[span+1].FromSeq < seq {
				span++
			}
			chain = chain.Next(epochs[span], e.Seq, e.Time, e.Toggles, e.Frame)
			b, seq = rest, seq+1
			records++
		}
	}
	last, err := fetchGrid(c, base, ex.LastSeq)
	if err != nil {
		return err
	}
	if last.Grid != rep.Grid {
		return fmt.Errorf("%w: the records %d..%d do not lead to the server's grid at %d", ErrVerify, ex.FirstSeq+1, ex.LastSeq, ex.LastSeq)
	}
	if chained && hex.EncodeToString(chain[:]) != ex.Chain {
		return fmt.Errorf("%w: the records %d..%d hash to chain %x, the server publishes %s", ErrVerify, ex.FirstSeq+1, ex.LastSeq, chain, ex.Chain)
	}
	fmt.Fprintf(out, "ok: %s history %d..%d, %d records, chain %s (%s)\n", base, ex.FirstSeq, ex.LastSeq, records, ex.Chain,
		map[bool]string{true: "from first_chain", false: "not checked: history starts before the chain"}[chained])
	return nil
}

func fetchGrid(c *http.Client, base string, seq uint64) (*protocol.Replica, error) {
	b, _, err := fetch(c, fmt.Sprintf("%s/api/history/snapshot?seq=%d", base, seq))
	if err != nil {
		return nil, err
	}
	s, err := protocol.DecodeSnapshot(b)
	rep := new(protocol.Replica)
	if err == nil {
		err = rep.ApplySnapshot(s)
	}
	if err == nil && s.Seq != seq {
		err = fmt.Errorf("snapshot of seq %d", s.Seq)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: grid at seq %d: %w", ErrVerify, seq, err)
	}
	return rep, nil
}

func fetch(c *http.Client, url string) ([]byte, http.Header, error) {
	resp, err := c.Get(url)
	if err != nil {
		return nil, nil, fmt.Errorf("history: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	switch {
	case err != nil:
		return nil, nil, fmt.Errorf("history: GET %s: %w", url, err)
	case resp.StatusCode != http.StatusOK:
		return nil, nil, fmt.Errorf("history: GET %s: %s: %s", url, resp.Status, strings.TrimSpace(string(b)))
	case len(b) > maxAnswer:
		return nil, nil, fmt.Errorf("%w: GET %s: answer over %d bytes", ErrVerify, url, maxAnswer)
	}
	return b, resp.Header, nil
}

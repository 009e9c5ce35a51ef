package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/history"
)

// apiGrid is the history API's grid at seq: the SHA-256 of its raw bytes
// (box i in bit i%8 of byte i/8), its checked count, and X-Chain.
func apiGrid(t *testing.T, base string, seq uint64) (sum string, checked int, chain string) {
	t.Helper()
	code, h, body := hget(t, fmt.Sprintf("%s/api/history/snapshot?seq=%d", base, seq))
	if code != http.StatusOK {
		t.Fatalf("snapshot seq %d: %d %s", seq, code, body)
	}
	s, err := protocol.DecodeSnapshot(body)
	var g protocol.Bitset
	if err == nil {
		err = s.Bits(&g)
	}
	if err != nil {
		t.Fatal(err)
	}
	raw := make([]byte, 0, protocol.BitsetWords*8)
	for _, w := range g {
		raw = binary.LittleEndian.AppendUint64(raw, w)
	}
	d := sha256.Sum256(raw)
	return hex.EncodeToString(d[:]), g.Count(), h.Get("X-Chain")
}

// nodeRead runs the Node reader of PROTOCOL.md's export file on path and
// returns its report per seq and the chain at the file's end.
func nodeRead(t *testing.T, path string, seqs ...uint64) (map[uint64]string, string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node (a dependency of make test, .ci/deps): %v", err)
	}
	args := []string{filepath.Join("history", "testdata", "export-reader.mjs"), path}
	for _, s := range seqs {
		args = append(args, strconv.FormatUint(s, 10))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, node, args...).Output()
	if err != nil {
		t.Fatalf("node reader: %v\n%s", err, out)
	}
	grids := map[uint64]string{}
	var chain string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var line struct {
			Seq     *uint64 `json:"seq"`
			Checked int     `json:"checked"`
			SHA     string  `json:"sha256"`
			Chain   *string `json:"chain"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("node reader said %q: %v", sc.Text(), err)
		}
		switch {
		case line.Seq != nil:
			grids[*line.Seq] = fmt.Sprintf("%s %d", line.SHA, line.Checked)
		case line.Chain != nil:
			chain = *line.Chain
		}
	}
	return grids, chain
}

func runHistory(t *testing.T, args ...string) string {
	t.Helper()
	var out, errs strings.Builder
	if code := history.Main(args, &out, &errs); code != 0 {
		t.Fatalf("checkgrid history %v: exit %d\n%s%s", args, code, out.String(), errs.String())
	}
	return out.String()
}

// TestExportNodeReader: a server's history, across a restart, exported from
// its data directory and from its API gives the same file; a reader in
// another language (Node), written from PROTOCOL.md alone, gets from it the
// API's grid at three seqs and the chain the extent publishes; so does an
// export of a middle range, whose chain at its end is the API's X-Chain;
// verify reads both files, and a flipped byte is named.
func TestExportNodeReader(t *testing.T) {
	ts := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p := ts.dial(ctx)
	var seqs []uint64
	for i := range uint32(10) {
		seqs = append(seqs, flip(t, ctx, p, 1000*i+i)) // a diagonal
	}
	p.Close()
	ts.Stop()
	ts = startServer(t, "-data", ts.Data)
	p = ts.dial(ctx)
	for i := range uint32(10) {
		seqs = append(seqs, flip(t, ctx, p, 999_999-1001*i)) // the other end, after a restart
		if i%2 == 1 {
			seqs = append(seqs, flip(t, ctx, p, 999_999-1001*i)) // and some back
		}
	}
	last := seqs[len(seqs)-1]
	dir := t.TempDir()
	fromDir, fromAPI := filepath.Join(dir, "dir.cgh"), filepath.Join(dir, "api.cgh")
	runHistory(t, "export", "--to", strconv.FormatUint(last, 10), ts.Data, fromDir)
	runHistory(t, "export", ts.URL, fromAPI)
	a, errA := os.ReadFile(fromDir)
	b, errB := os.ReadFile(fromAPI)
	if errA != nil || errB != nil || !bytes.Equal(a, b) {
		t.Fatalf("exports from the directory (%d bytes, %v) and the API (%d bytes, %v) differ", len(a), errA, len(b), errB)
	}
	if out := runHistory(t, "verify", fromAPI); !strings.Contains(out, fmt.Sprintf("export 0..%d", last)) {
		t.Fatalf("verify: %s", out)
	}

	three := []uint64{seqs[4], seqs[12], last}
	grids, chain := nodeRead(t, fromAPI, three...)
	for _, seq := range three {
		sum, checked, _ := apiGrid(t, ts.URL, seq)
		if want := fmt.Sprintf("%s %d", sum, checked); grids[seq] != want {
			t.Errorf("seq %d: the Node reader's grid %q, the API's %q", seq, grids[seq], want)
		}
	}
	var ex history.Extent
	_, _, body := hget(t, ts.URL+"/api/history")
	if err := json.Unmarshal(body, &ex); err != nil || ex.LastSeq != last || chain != ex.Chain {
		t.Fatalf("the Node reader's chain at %d %q, the extent's at %d %q (%v)", last, chain, ex.LastSeq, ex.Chain, err)
	}

	// A middle range, from the API: the header carries the chain at its
	// start; the Node reader steps it to the API's chain at its end.
	mid := filepath.Join(dir, "mid.cgh")
	runHistory(t, "export", "--from", strconv.FormatUint(seqs[3], 10), "--to", strconv.FormatUint(seqs[15], 10), ts.URL, mid)
	grids, chain = nodeRead(t, mid, seqs[3], seqs[15])
	for _, seq := range []uint64{seqs[3], seqs[15]} {
		sum, checked, xchain := apiGrid(t, ts.URL, seq)
		if want := fmt.Sprintf("%s %d", sum, checked); grids[seq] != want {
			t.Errorf("middle range, seq %d: the Node reader's grid %q, the API's %q", seq, grids[seq], want)
		}
		if seq == seqs[15] && (chain != xchain || len(chain) != 64) {
			t.Errorf("middle range: the Node reader's chain at %d %q, the API's X-Chain %q", seq, chain, xchain)
		}
	}

	// One flipped byte in an entry: verify names the damage, the Node
	// reader refuses the file.
	m, err := os.ReadFile(mid)
	if err != nil {
		t.Fatal(err)
	}
	m[len(m)-40] ^= 0x10
	if err := os.WriteFile(mid, m, 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errs strings.Builder
	if code := history.Main([]string{"verify", mid}, &out, &errs); code != 1 || !strings.Contains(errs.String(), "bad export file") {
		t.Fatalf("verify of a damaged export: exit %d: %s", code, errs.String())
	}
	if o, err := exec.CommandContext(ctx, "node", filepath.Join("history", "testdata", "export-reader.mjs"), mid).CombinedOutput(); err == nil {
		t.Fatalf("the Node reader read a damaged file: %s", o)
	}
}

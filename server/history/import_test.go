package history

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"checkgrid/protocol"
	"checkgrid/server/store"
)

// buildDir writes a data directory through the store a server uses: 60
// ticks, keyframes every few hundred bytes, and a torn tail cut by
// recovery (a new epoch) before the last 20.
func buildDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	opt := store.Options{SegmentBytes: 900, CheckpointBytes: 600}
	rng := rand.New(rand.NewPCG(21, 21))
	s, st, err := store.Open(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	tick := func(n int, keyframes bool) {
		for range n {
			idx := make([]uint32, 0, 12)
			for range 12 {
				idx = append(idx, uint32(rng.IntN(protocol.Boxes)))
			}
			slices.Sort(idx)
			idx = slices.Compact(idx)
			fr, err := protocol.AppendDelta(nil, st.Seq+1, idx)
			if err != nil {
				t.Fatal(err)
			}
			for _, i := range idx {
				st.Grid.Flip(i)
			}
			st.Seq++
			st.Toggles += uint64(len(idx))
			if err := s.Append(st.Seq, st.Toggles, fr); err != nil {
				t.Fatal(err)
			}
			if keyframes && s.WantCheckpoint() {
				if err := s.Checkpoint(st); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	tick(40, true)
	tick(1, false) // the record the crash tears
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// A torn tail: the last record's last bytes never reached the disk.
	segs, _ := filepath.Glob(filepath.Join(dir, "wal-*.log"))
	slices.Sort(segs)
	last := segs[len(segs)-1]
	fi, err := os.Stat(last)
	if err != nil || os.Truncate(last, fi.Size()-3) != nil {
		t.Fatal(err)
	}
	epoch := st.Epoch
	s, st, err = store.Open(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	if st.Epoch == epoch || st.Seq != 40 {
		t.Fatalf("reopened at seq %d, epoch changed %v: %v", st.Seq, st.Epoch != epoch, err)
	}
	tick(20, true)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// An export file imported into a new data directory is the same history:
// the same grid, time, toggles and chain at every seq, an export of it is
// the same file byte for byte, and verify passes on it.
func TestImportIsTheSameHistory(t *testing.T) {
	src := buildDir(t)
	file := filepath.Join(t.TempDir(), "h.ckgx")
	h, err := ExportFile(file, src, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Spans) != 2 {
		t.Fatalf("export spans %+v, want the epoch change", h.Spans)
	}
	dst := filepath.Join(t.TempDir(), "imported")
	var out bytes.Buffer
	if code := Main([]string{"import", file, dst}, &out, &out); code != 0 {
		t.Fatalf("import: exit %d: %s", code, out.String())
	}
	if !strings.Contains(out.String(), "ok: "+dst) {
		t.Fatalf("import did not verify: %s", out.String())
	}
	a, b := store.OpenHistory(src), store.OpenHistory(dst)
	for seq := h.From; seq <= h.To; seq++ {
		sa, ta, errA := a.GridAt(seq)
		sb, tb, errB := b.GridAt(seq)
		ca, _, errC := a.ChainAt(seq)
		cb, _, errD := b.ChainAt(seq)
		if err := errors.Join(errA, errB, errC, errD); err != nil {
			t.Fatal(err)
		}
		if *sa != *sb || ta != tb || ca != cb {
			t.Fatalf("seq %d differs: epoch %d/%d, toggles %d/%d, time %d/%d, chain equal %v", seq, sa.Epoch, sb.Epoch, sa.Toggles, sb.Toggles, ta, tb, ca == cb)
		}
	}
	again := filepath.Join(t.TempDir(), "again.ckgx")
	if _, err := ExportFile(again, dst, 0, 0); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(readBytes(t, file), readBytes(t, again)) {
		t.Fatal("the imported directory exports a different file")
	}
	// The directory is a server's: it opens where the history ends.
	s, st, err := store.Open(dst, store.Options{})
	if err != nil || st.Seq != h.To || st.Epoch != h.Spans[1].Epoch {
		t.Fatalf("open imported: seq %d epoch %d: %v", st.Seq, st.Epoch, err)
	}
	_ = s.Close()
}

func readBytes(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// resum rewrites an export file's trailer for its changed bytes, so only
// the change itself can be refused.
func resum(b []byte) []byte {
	sum := sha256.Sum256(b[:len(b)-32])
	copy(b[len(b)-32:], sum[:])
	return b
}

// A bad file is refused naming its first bad entry and leaves no
// directory; so is a directory that is not fresh.
func TestImportRefusesBadFiles(t *testing.T) {
	src := buildDir(t)
	file := filepath.Join(t.TempDir(), "h.ckgx")
	h, err := ExportFile(file, src, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	good := readBytes(t, file)
	// Offsets of the entries, by seq.
	at := map[uint64]int{}
	off := exportFixed + exportSpan*len(h.Spans) + gridBytes
	for seq := h.From + 1; seq <= h.To; seq++ {
		at[seq] = off
		off += entryHeader + int(binary.LittleEndian.Uint32(good[off+16:]))
	}
	mod := func(f func(b []byte)) []byte {
		b := slices.Clone(good)
		f(b)
		return b
	}
	for _, c := range []struct {
		name, want string
		b          []byte
	}{
		{"entry seq", "entry of seq 17", mod(func(b []byte) { b[at[17]+entryHeader+1]++; resum(b) })},
		{"time goes back", "entry of seq 23", mod(func(b []byte) { binary.LittleEndian.PutUint64(b[at[23]:], 1); resum(b) })},
		{"frame length", "entry of seq 30", mod(func(b []byte) { binary.LittleEndian.PutUint32(b[at[30]+16:], 3); resum(b) })},
		{"trailer", "trailer", mod(func(b []byte) { b[len(b)-1] ^= 1 })},
		{"cut", "entry of seq", good[:at[50]+5]},
	} {
		path := filepath.Join(t.TempDir(), "bad.ckgx")
		if err := os.WriteFile(path, c.b, 0o644); err != nil {
			t.Fatal(err)
		}
		parent := t.TempDir()
		dst := filepath.Join(parent, "imported")
		_, err := ImportFile(path, dst)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error naming %q", c.name, err, c.want)
		}
		if left, _ := os.ReadDir(parent); len(left) != 0 {
			t.Errorf("%s: left %d entries behind", c.name, len(left))
		}
	}
	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ImportFile(file, full); !errors.Is(err, store.ErrNotFresh) {
		t.Fatalf("import into a directory holding a file: %v", err)
	}
	var out bytes.Buffer
	if code := Main([]string{"import", file}, io.Discard, &out); code != 2 {
		t.Fatalf("import without a directory: exit %d", code)
	}
}

// FuzzImport: any bytes import into a directory that verifies and ends at
// the file's last seq, or are refused with ErrExport (or store.ErrInvalid
// for a record the store cannot take) and leave nothing behind.
func FuzzImport(f *testing.F) {
	f.Add(vectorExport(f))
	f.Add(vectorExport(f)[:200])
	f.Fuzz(func(t *testing.T, b []byte) {
		tmp := t.TempDir()
		path := filepath.Join(tmp, "f.ckgx")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(tmp, "d")
		h, err := ImportFile(path, dst)
		if err != nil {
			if !errors.Is(err, ErrExport) && !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("error %v is neither ErrExport nor store.ErrInvalid", err)
			}
			if left, _ := os.ReadDir(tmp); len(left) != 1 {
				t.Fatalf("a refused import left %d entries", len(left)-1)
			}
			return
		}
		v, err := store.OpenHistory(dst).Verify()
		if err != nil || v.Last != h.To {
			t.Fatalf("imported history: %+v, %v", v, err)
		}
	})
}

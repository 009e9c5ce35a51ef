package web

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"strconv"
	"sync"
	"time"

	"checkgrid/protocol"
	"checkgrid/server/hub"
)

// GET /api/grid.png (PROTOCOL.md, "HTTP"): the whole grid as a 1000×1000
// image, one pixel a box, and where a new player lands. The page paints it
// at once, long before the WebAssembly client has arrived, so a player
// sees the real grid in the first round trip.

// renderEvery bounds how often the image is rendered: at most once a
// second whatever the request rate (a render is ~10 ms of CPU), which
// keeps a crowd of new players, or a flood of reloads, from costing more
// than one core's hundredth. An image up to a second old is labelled with
// its own seq, so it is never wrong, only a second behind; the client
// catches up from its own Snapshot.
const renderEvery = time.Second

// gridPalette is the client's: unchecked #f4f4f4, checked #1f6feb.
var gridPalette = color.Palette{
	color.RGBA{0xf4, 0xf4, 0xf4, 0xff},
	color.RGBA{0x1f, 0x6f, 0xeb, 0xff},
}

// snapshotter is what the image is rendered from: hub.Hub.
type snapshotter interface {
	Snapshot(ctx context.Context) (hub.SnapshotInfo, error)
}

// gridImage serves /api/grid.png, rendering it at most once per
// renderEvery and once per seq. Safe for concurrent use: one render at a
// time, the others wait for it and share it.
type gridImage struct {
	src snapshotter

	mu     sync.Mutex
	cur    renderedGrid
	bits   protocol.Bitset
	counts protocol.CellCounts
	img    *image.Paletted
}

// renderedGrid is one image and what it shows.
type renderedGrid struct {
	epoch, seq   uint64
	png          []byte
	etag         string
	landX, landY int
	at           time.Time // when it was last known current
}

func newGridImage(src snapshotter) *gridImage {
	return &gridImage{src: src, img: image.NewPaletted(image.Rect(0, 0, protocol.GridWidth, protocol.GridHeight), gridPalette)}
}

func (g *gridImage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	cur, err := g.current(r.Context())
	if err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "image/png")
	// no-cache: revalidate every time (the grid moves on), and the strong
	// ETag makes that a 304 while the seq is the same.
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", cur.etag)
	h.Set("X-Epoch", strconv.FormatUint(cur.epoch, 10))
	h.Set("X-Seq", strconv.FormatUint(cur.seq, 10))
	h.Set("X-Landing", strconv.Itoa(cur.landX)+","+strconv.Itoa(cur.landY))
	// ServeContent answers If-None-Match (304), HEAD and ranges.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(cur.png))
}

// current returns the image, rendering it again if it is older than
// renderEvery and the grid has moved on since.
func (g *gridImage) current(ctx context.Context) (renderedGrid, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := time.Now()
	if g.cur.png != nil && now.Sub(g.cur.at) < renderEvery {
		return g.cur, nil
	}
	snap, err := g.src.Snapshot(ctx)
	if err != nil {
		return renderedGrid{}, err
	}
	if g.cur.png != nil && snap.Epoch == g.cur.epoch && snap.Seq == g.cur.seq {
		g.cur.at = now
		return g.cur, nil
	}
	cur, err := g.render(snap)
	if err != nil {
		return renderedGrid{}, err
	}
	cur.at = now
	g.cur = cur
	return cur, nil
}

// render draws snapshot snap, one pixel a box, as a two-colour PNG (bit
// depth 1: an empty grid is ~1 KB, a random half-full one ~130 KB), and
// finds the landing place.
func (g *gridImage) render(snap hub.SnapshotInfo) (renderedGrid, error) {
	s, err := protocol.DecodeSnapshot(snap.Frame)
	if err != nil {
		return renderedGrid{}, fmt.Errorf("web: grid image: %w", err)
	}
	if err := s.Bits(&g.bits); err != nil {
		return renderedGrid{}, fmt.Errorf("web: grid image: %w", err)
	}
	for i := range g.img.Pix {
		g.img.Pix[i] = uint8(g.bits[i>>6] >> (i & 63) & 1)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, g.img); err != nil {
		return renderedGrid{}, fmt.Errorf("web: grid image: %w", err)
	}
	g.counts.Count(&g.bits)
	x, y, _ := g.counts.Busiest(protocol.LandingWindow)
	return renderedGrid{
		epoch: snap.Epoch, seq: snap.Seq, png: buf.Bytes(),
		etag:  fmt.Sprintf(`"%d-%d"`, snap.Epoch, snap.Seq),
		landX: x, landY: y,
	}, nil
}

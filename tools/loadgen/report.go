package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"checkgrid/protocol"
	"checkgrid/wasm/session"
)

// machine names the box the figures came from: the ratio to the raw-TCP
// ceiling is only meaningful with it.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%d × %s, %s %s/%s", runtime.NumCPU(), model, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func mb(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/(1<<20)) }
func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

// rate is n per second over w.
func rate(n int64, w time.Duration) float64 {
	if w <= 0 {
		return 0
	}
	return float64(n) / w.Seconds()
}

// deliveredFPS is Delta frames delivered per second, over all clients.
func (r wsResult) deliveredFPS() float64 { return rate(r.after.deltas-r.before.deltas, r.window) }

// allFPS is frames of every type delivered per second, over all clients.
func (r wsResult) allFPS() float64 {
	return rate(r.after.totalFrames()-r.before.totalFrames(), r.window)
}

// coverage is the share of (ticks × clients held that get every Delta)
// that arrived: 1 means every such client received every Delta published
// in the window. Viewers follow an area and get a frame only on the ticks
// that change it (viewerTicks), so they are left out.
func (r wsResult) coverage() float64 {
	full := min(r.heldStart-r.before.vheld, r.heldEnd-r.after.vheld)
	want := float64(r.seqAdvance) * float64(full)
	if want <= 0 {
		return 0
	}
	return min(float64(r.after.deltas-r.before.deltas)/want, 1)
}

// viewerTicks is the share of (ticks × viewers held) that brought a viewer
// an AreaDelta (got); the share expected where this run's flips fall
// (here: the clickers' region, clickEnd, is the whole grid or, beside
// drawers and abusers, rows 0–599 with other flips elsewhere: NaN then);
// and the
// share if as many flips were spread over the whole grid (uniform, the
// issue's "random toggles"): 1−e^(−flips per tick × area ÷ boxes).
func (r wsResult) viewerTicks() (got, here, uniform float64) {
	ticks := float64(r.seqAdvance) * float64(min(r.before.vheld, r.after.vheld))
	if ticks <= 0 {
		return 0, 0, 0
	}
	got = float64(r.after.vdeltas-r.before.vdeltas) / ticks
	perTick := r.seenPerSec / rate(r.seqAdvance, r.window)
	w, h := viewerSize()
	uniform = 1 - math.Exp(-perTick*float64(w*h)/protocol.Boxes)
	here = math.NaN()
	if r.cfg.drawers == 0 && r.cfg.abusers == 0 {
		// A viewer's view starts at a row drawn uniformly (viewerArea);
		// the rows of its area inside the click region see the flips
		// spread over that region.
		var sum float64
		end := clickEnd(r.cfg)
		rows := protocol.GridHeight - viewH + 1
		for y := range rows {
			a := session.Subscription(protocol.Area{X: protocol.GridWidth / 2, Y: uint16(y), W: viewW, H: viewH}, 0, 0)
			in := max(min(int(a.Y)+int(a.H), end/protocol.GridWidth)-int(a.Y), 0)
			sum += 1 - math.Exp(-perTick*float64(int(a.W)*in)/float64(end))
		}
		here = sum / float64(rows)
	}
	return got, here, uniform
}

// writeWS prints a ws run's figures.
func writeWS(w io.Writer, r wsResult, serverDesc string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, format string, a ...any) { fmt.Fprintf(tw, "%s\t"+format+"\n", append([]any{k}, a...)...) }
	c := r.cfg
	fmt.Fprintf(tw, "== ws: the real protocol ==\n")
	row("machine", "%s", machine())
	row("server", "%s", serverDesc)
	row("players", "%d (%d observers, %d watchers, %d viewers moving every %v, %d clickers at %g/s, %d drawers, %d abusers), ramp %v, %d source addresses, seed %d",
		c.players(), c.observers, c.watchers, c.viewers, c.moveEvery, c.clickers, c.clickRate, c.drawers, c.abusers, c.ramp, c.sources, c.seed)
	row("window", "%v", r.window.Round(time.Millisecond))
	row("clients held", "%d at start, %d at end (%d joins in all)", r.heldStart, r.heldEnd, r.after.joined)
	row("ticks published", "%d (%.1f/s, from observers' seq)", r.seqAdvance, rate(r.seqAdvance, r.window))
	row("deltas delivered", "%.0f/s over all clients; %.1f%% of ticks × clients held that get every Delta (all but viewers)", r.deliveredFPS(), 100*r.coverage())
	row("frames delivered", "%.0f/s (all types)", rate(r.after.totalFrames()-r.before.totalFrames(), r.window))
	row("bytes delivered", "%.2f MB/s (WebSocket payloads)", rate(r.after.bytes-r.before.bytes, r.window)/1e6)
	if c.viewers > 0 {
		per := func(n int64, players int) float64 { return float64(n) / float64(max(players, 1)) / r.window.Seconds() }
		vb, wb := r.after.vbytes-r.before.vbytes, r.after.wbytes-r.before.wbytes
		vf, wf := r.after.vframes-r.before.vframes, r.after.wframes-r.before.wframes
		w, h := viewerSize()
		got, here, uniform := r.viewerTicks()
		row(fmt.Sprintf("per viewer (v2, %dx%d)", w, h), "%.2f MB per player-hour, %.2f frames/s (all types), %.2f moves/s in all",
			per(vb, c.viewers)*3600/1e6, per(vf, c.viewers), rate(r.after.vmoves-r.before.vmoves, r.window))
		row("viewers' AreaDeltas", "on %.1f%% of ticks × viewers held: %.1f%% expected where this run's flips fall, %.1f%% if spread over the whole grid (%.2f frames/s at this tick rate)",
			100*got, 100*here, 100*uniform, uniform*rate(r.seqAdvance, r.window))
		row("per watcher (all changes)", "%.2f MB per player-hour, %.2f frames/s (same run)",
			per(wb, c.watchers)*3600/1e6, per(wf, c.watchers))
	} else if c.watchers > 0 {
		// Issue 22's "bytes per player-hour, passive against active": with
		// -pace the watchers are the passive players, the others (clickers,
		// observers) get every Delta.
		per := func(n int64, players int) float64 {
			return float64(n) / float64(max(players, 1)) / r.window.Seconds() * 3600 / 1e6
		}
		wb := r.after.wbytes - r.before.wbytes
		rest := r.after.bytes - r.before.bytes - wb
		how := "every Delta"
		if r.after.ranges > r.before.ranges {
			how = "passive: DeltaRanges"
		}
		row("per player-hour", "%.2f MB a watcher (%s), %.2f MB another player (clickers, observers: every Delta)",
			per(wb, c.watchers), how, per(rest, c.players()-c.watchers))
	}
	row("bytes per change", "%.2f B per box in Delta frames (%.2f B payload only; mean Delta %.0f B)", r.bytesPerChange, r.payloadPerChange, r.meanDelta)
	row("sets sent", "%.0f/s, %.0f boxes/s; %.0f box flips/s applied (seen in Deltas)", rate(r.after.sets-r.before.sets, r.window), rate(r.after.setBoxes-r.before.setBoxes, r.window), r.seenPerSec)
	row("toggle-to-seen", "p50 %s, p99 %s, max %s (%d samples)", ms(r.lat.p50), ms(r.lat.p99), ms(r.lat.max), r.lat.n)
	if r.vlat.n > 0 {
		row("… for viewers", "p50 %s, p99 %s, max %s (%d samples; one viewer in %d times its AreaDeltas)", ms(r.vlat.p50), ms(r.vlat.p99), ms(r.vlat.max), r.vlat.n, viewerTimedEvery)
	}
	if c.stallFrac > 0 {
		b := r.latBeforeStall
		row("stalled readers", "%d watchers stopped reading halfway; toggle-to-seen before: p50 %s, p99 %s (%d samples); after: above",
			c.stallers(), ms(b.p50), ms(b.p99), b.n)
	}
	if h := r.hammer; h != nil {
		b, q := r.latBeforeHammer, h.lat.quantiles()
		half := r.window / 2
		row("history hammer", "%d clients in the second half: %.0f answers/s (p50 %s, p99 %s), %d busy (503), %d failed; toggle-to-seen before: p50 %s, p99 %s (%d samples); with it: above",
			c.historyHammer, rate(h.ok.Load(), half), ms(q.p50), ms(q.p99), h.busy.Load(), h.failed.Load(), ms(b.p50), ms(b.p99), b.n)
	}
	row("join (dial→Snapshot)", "p50 %s, p99 %s, max %s (%d joins)", ms(r.join.p50), ms(r.join.p99), ms(r.join.max), r.join.n)
	row("seq gaps", "%d in window", r.after.gaps-r.before.gaps)
	if n := r.after.ranges - r.before.ranges; n > 0 {
		row("paced (-pace)", "%.0f DeltaRanges/s to paced watchers, in sequence", float64(n)/r.window.Seconds())
	}
	if r.server.pid != 0 {
		row("server CPU", "%.3f cores (pid %d)", r.server.cores, r.server.pid)
		perConn := float64(r.server.rssHeld-r.server.rssBefore) / float64(max(r.heldStart, 1)) / 1024
		row("server RSS", "%s before ramp, %s held, %s at end: %.1f KB per connection held",
			mb(r.server.rssBefore), mb(r.server.rssHeld), mb(r.server.rssEnd), perConn)
	}
	if m := r.ramped; m != nil && r.heldStart > 0 {
		per := func(k string) float64 { return m[k] / float64(r.heldStart) }
		row("server memory", "per connection held (Go runtime, ramp's increase): stack %.2f KB, heap in use %.2f KB, %.2f goroutines",
			per("go_memstats_stack_inuse_bytes")/1024, per("go_memstats_heap_inuse_bytes")/1024, per("go_goroutines"))
	}
	fps := rate(r.after.totalFrames()-r.before.totalFrames(), r.window)
	row("CPU per frame", "%.1f µs server, %.1f µs server + loadgen, per frame delivered", usPerFrame(r.server.cores, fps), usPerFrame(r.server.cores+r.self.cores, fps))
	row("loadgen CPU", "%.3f cores, RSS %s held", r.self.cores, mb(r.self.rssHeld))
	if m := r.metrics; m != nil {
		ticks := m["checkgrid_tick_seconds_count"]
		fs := m["checkgrid_fsync_seconds_count"]
		row("server tick loop", "%.0f ticks (%.1f/s): work per tick mean %s, p99 ≤ %s; append+fsync mean %s, p99 ≤ %s",
			ticks, ticks/r.window.Seconds(),
			secs(m["checkgrid_tick_seconds_sum"]/max(ticks, 1)), secs(m.histQuantile("checkgrid_tick_seconds", 0.99)),
			secs(m["checkgrid_fsync_seconds_sum"]/max(fs, 1)), secs(m.histQuantile("checkgrid_fsync_seconds", 0.99)))
		if n := m["checkgrid_fanout_seconds_count"]; n > 0 {
			line := fmt.Sprintf("a Delta's broadcast (per sender) mean %s, p99 ≤ %s", secs(m["checkgrid_fanout_seconds_sum"]/n), secs(m.histQuantile("checkgrid_fanout_seconds", 0.99)))
			if an := m["checkgrid_area_fanout_seconds_count"]; an > 0 {
				line += fmt.Sprintf("; a tick's AreaDeltas mean %s, p99 ≤ %s", secs(m["checkgrid_area_fanout_seconds_sum"]/an), secs(m.histQuantile("checkgrid_area_fanout_seconds", 0.99)))
			}
			row("server fan-out", "%s", line)
		}
		for _, name := range []string{"checkgrid_drops_total", "checkgrid_resyncs_total", "checkgrid_disconnects_total", "checkgrid_connections_refused_total", "checkgrid_rejected_boxes_total", "checkgrid_bad_frames_total"} {
			if l := m.labelled(name); len(l) > 0 {
				slices.Sort(l)
				row("server "+strings.TrimSuffix(strings.TrimPrefix(name, "checkgrid_"), "_total"), "%s (window)", strings.Join(l, ", "))
			}
		}
	}
	row("other work on the box", "%.2f cores (the whole box used %.2f of %d)", max(r.machine-r.server.cores-r.self.cores, 0), r.machine, runtime.NumCPU())
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range r.events {
			if !yield(k) {
				return
			}
		}
	})
	if len(keys) == 0 {
		row("events", "none (no drops, closes, rejects or resyncs)")
	}
	for i, k := range keys {
		name := ""
		if i == 0 {
			name = "events (whole run)"
		}
		row(name, "%7d  %s", r.events[k], k)
	}
	tw.Flush()
}

// writeRaw prints a raw-TCP run's figures.
func writeRaw(w io.Writer, r rawResult) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "== rawtcp: this machine's fan-out ceiling ==\n")
	fmt.Fprintf(tw, "machine\t%s\n", machine())
	pace := "as fast as the sockets drain (ceiling)"
	if r.tick > 0 {
		pace = fmt.Sprintf("one frame per socket every %v", r.tick)
	}
	fmt.Fprintf(tw, "sockets\t%d, %d-byte frames, a sender process writing from one goroutine per core, sndbuf %d KB; %s\n", r.conns, r.frame, rawSndBuf>>10, pace)
	fmt.Fprintf(tw, "window\t%v\n", r.window.Round(time.Millisecond))
	fmt.Fprintf(tw, "delivered\t%.0f frames/s, %.2f MB/s\n", r.framesPerSec(), rate(r.bytes, r.window)/1e6)
	fmt.Fprintf(tw, "sender CPU\t%.3f cores (pid %d), %.2f µs per frame delivered, RSS %s\n", r.sender.cores, r.sender.pid, usPerFrame(r.sender.cores, r.framesPerSec()), mb(r.sender.rssEnd))
	fmt.Fprintf(tw, "receivers CPU\t%.3f cores (this process), %.2f µs per frame\n", r.self.cores, usPerFrame(r.self.cores, r.framesPerSec()))
	fmt.Fprintf(tw, "other work on the box\t%.2f cores (the whole box used %.2f of %d)\n", max(r.machine-r.self.cores-r.sender.cores, 0), r.machine, runtime.NumCPU())
	tw.Flush()
}

// writeSummary prints the one-table comparison.
func writeSummary(w io.Writer, ws *wsResult, raw *rawResult) {
	fmt.Fprintf(w, "\n| run | conns | delivered frames/s | MB/s | p99 toggle-to-seen | server cores | loadgen cores | other cores on box |\n|---|---|---|---|---|---|---|---|\n")
	if raw != nil {
		name := "rawtcp ceiling"
		if raw.tick > 0 {
			name = "rawtcp paced " + raw.tick.String()
		}
		fmt.Fprintf(w, "| %s | %d | %.0f | %.2f | – | %.2f (sender) | %.2f | %.2f |\n", name, raw.conns, raw.framesPerSec(), rate(raw.bytes, raw.window)/1e6, raw.sender.cores, raw.self.cores, max(raw.machine-raw.self.cores-raw.sender.cores, 0))
	}
	if ws != nil {
		fmt.Fprintf(w, "| checkgrid ws | %d | %.0f | %.2f | %s | %.2f | %.2f | %.2f |\n", ws.heldStart, ws.deliveredFPS(),
			rate(ws.after.bytes-ws.before.bytes, ws.window)/1e6, ms(ws.lat.p99), ws.server.cores, ws.self.cores, max(ws.machine-ws.server.cores-ws.self.cores, 0))
	}
	if ws != nil && raw != nil && raw.framesPerSec() > 0 {
		fmt.Fprintf(w, "\nratio: checkgrid delivered %.0f Delta frames/s = %.1f%% of the raw-TCP run (%.0f frames/s) at %d conns\n",
			ws.deliveredFPS(), 100*ws.deliveredFPS()/raw.framesPerSec(), raw.framesPerSec(), raw.conns)
		srv, snd := usPerFrame(ws.server.cores, ws.allFPS()), usPerFrame(raw.sender.cores, raw.framesPerSec())
		if snd > 0 {
			fmt.Fprintf(w, "CPU per frame: server %.2f µs (every frame it wrote), raw sender %.2f µs: %.2f×\n", srv, snd, srv/snd)
		}
	}
}

// wireSize is a frame's size on the wire inside a server WebSocket message
// (2-byte header up to 125 bytes, 4 up to 64 KB; servers do not mask).
func wireSize(frame int) int {
	switch {
	case frame <= 125:
		return frame + 2
	case frame <= 65535:
		return frame + 4
	}
	return frame + 10
}

// usPerFrame is CPU microseconds per frame at cores used and fps delivered.
func usPerFrame(cores, fps float64) float64 {
	if fps <= 0 {
		return 0
	}
	return cores * 1e6 / fps
}

// secs formats seconds from a metric as milliseconds.
func secs(s float64) string {
	if s >= mathInf {
		return "> histogram range"
	}
	return fmt.Sprintf("%.1f ms", s*1e3)
}

# checkgrid. `make run` to play, `make test` for the whole suite.
GO        ?= go
GOROOT    := $(shell $(GO) env GOROOT)
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
WASMFLAGS := -trimpath -ldflags='-s -w'
ADDR      ?= :8080
DATA      ?= ./data
CLUSTER_ADDR ?= 127.0.0.1:8080
CLUSTER_DATA ?=

.PHONY: run cluster chaos test wasm desktop screenshots bench bench-browser tabcpu playback fuzz lint deps server unit wasmtest e2e release crossbuild

# Build the client and serve it, with a data directory in ./data.
run: wasm
	$(GO) run ./server -addr $(ADDR) -data $(DATA)

# Three JetStream servers, three nodes and a load balancer on loopback
# (tools/cluster): an empty grid in a temporary directory, or the one in
# CLUSTER_DATA (kept across runs); prints the URL to open; Ctrl-C stops
# everything and exits 0.
cluster: wasm
	$(GO) run ./tools/cluster -addr $(CLUSTER_ADDR) $(if $(CLUSTER_DATA),-data $(CLUSTER_DATA))

CHAOS_CYCLES ?= 36
# The long chaos run (tools/clustertest TestChaos; make test runs 4
# cycles): kill -9 of nodes, of the stream leader, of pairs, SIGSTOP of the
# sequencer, CHAOS_CYCLES times, every check after each run.
chaos:
	$(GO) test -count=1 -timeout 60m -run '^TestChaos$$' -v ./tools/clustertest/ -args -chaos.cycles=$(CHAOS_CYCLES)

# The whole suite: system packages, lint, unit and integration tests with
# -race, the protocol tests under wasm (Node), and the end-to-end tests in
# headless Chromium and under Xvfb.
test: deps wasm lint crossbuild unit wasmtest e2e

# Every package but the end-to-end tests, which run alone (e2e below).
unit:
	$(GO) test -race -count=1 -timeout 20m $$($(GO) list ./... | grep -v '/wasm/e2e$$')

# The real server, the client in headless Chromium and the desktop client
# under Xvfb (wasm/e2e/doc.go). Alone, because SwiftShader draws on the CPU
# and would fight the load tests for the same cores; no -race, as what it
# tests runs in other processes. About 7 minutes alone; 15 leaves room for
# a shared box (a run beside other sessions' builds passed 10).
e2e:
	$(GO) test -count=1 -timeout 15m ./wasm/e2e/

# protocol/ and the client's pure logic must behave the same compiled to
# wasm; Go's exec wrapper runs the test binaries under Node.
wasmtest:
	PATH="$(GOROOT)/lib/wasm:$$PATH" GOOS=js GOARCH=wasm $(GO) test -count=1 ./protocol/ \
		./wasm/board/ ./wasm/camera/ ./wasm/conn/ ./wasm/deeplink/ ./wasm/gesture/ \
		./wasm/link/ ./wasm/raster/ ./wasm/session/ ./wasm/throttle/ ./wasm/timeline/ ./wasm/wording/

deps:
	bash .ci/deps

# The browser client: small (-trimpath -s -w), precompressed for the server.
wasm:
	cp "$(GOROOT)/lib/wasm/wasm_exec.js" assets/wasm_exec.js
	GOOS=js GOARCH=wasm $(GO) build $(WASMFLAGS) -o assets/checkgrid.wasm ./wasm
	$(GO) run ./tools/precompress assets/checkgrid.wasm assets/wasm_exec.js

# The native client (cgo, needs libgl1-mesa-dev xorg-dev). SERVER_URL (see
# release below) bakes in the server it plays on when the player names none.
desktop:
	mkdir -p bin
	$(GO) build -trimpath -ldflags='$(if $(SERVER_URL),-X checkgrid/wasm/cli.defaultServer=$(SERVER_URL))' -o bin/checkgrid-desktop ./wasm

# The README's screenshots (docs/), taken by the e2e tests that check them.
screenshots: wasm
	E2E_DOCS=$(CURDIR)/docs $(GO) test -count=1 -run 'TestFirstView|TestPhoneJump|TestDisconnectedShown' ./wasm/e2e/

server:
	mkdir -p bin
	$(GO) build -trimpath -o bin/checkgrid-server ./server

# Release builds: the version `checkgrid -version`, /api/stats and the
# page's footer show; a tag when HEAD has one, else the commit.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
DIST    ?= dist
SERVER_LDFLAGS  := -s -w -X main.stampedVersion=$(VERSION)
# The server a downloaded desktop client plays on when given none
# (wasm/cli); e.g. make release SERVER_URL=checkgrid://grid.example.org
SERVER_URL ?=
DESKTOP_LDFLAGS ?= -s -w $(if $(SERVER_URL),-X checkgrid/wasm/cli.defaultServer=$(SERVER_URL))
# The macOS desktop client needs cgo (Ebitengine's Metal and display-link
# code is Objective-C) and so a macOS SDK: on a Mac leave DARWIN_CC as it
# is; elsewhere set it to an osxcross clang (oa64-clang). Empty skips it.
DARWIN_CC ?= $(if $(filter Darwin,$(shell uname -s)),cc,)

# Every package: the servers (static, no cgo) for linux/amd64 and arm64; the
# desktop client for linux/amd64 (cgo, X and GL headers), windows/amd64 (no
# cgo) and darwin/arm64 (see DARWIN_CC); SHA256SUMS over them all.
release: wasm
	rm -rf $(DIST) && mkdir -p $(DIST)
	for arch in amd64 arm64; do \
		CGO_ENABLED=0 GOOS=linux GOARCH=$$arch $(GO) build -trimpath -ldflags='$(SERVER_LDFLAGS)' \
			-o $(DIST)/checkgrid-server-linux-$$arch ./server || exit 1; \
	done
	CGO_ENABLED=1 GOOS=linux GOARCH=amd64 $(GO) build -trimpath -ldflags='$(DESKTOP_LDFLAGS)' -o $(DIST)/checkgrid-desktop-linux-amd64 ./wasm
	CGO_ENABLED=0 GOOS=windows GOARCH=amd64 $(GO) build -trimpath -ldflags='$(DESKTOP_LDFLAGS)' -o $(DIST)/checkgrid-desktop-windows-amd64.exe ./wasm
	@if [ -n "$(DARWIN_CC)" ]; then \
		echo "CGO_ENABLED=1 CC=$(DARWIN_CC) GOOS=darwin GOARCH=arm64 $(GO) build -o $(DIST)/checkgrid-desktop-darwin-arm64 ./wasm"; \
		CGO_ENABLED=1 CC="$(DARWIN_CC)" GOOS=darwin GOARCH=arm64 $(GO) build -trimpath -ldflags='$(DESKTOP_LDFLAGS)' -o $(DIST)/checkgrid-desktop-darwin-arm64 ./wasm || exit 1; \
	else \
		echo "SKIPPED checkgrid-desktop-darwin-arm64: needs cgo with a macOS SDK (set DARWIN_CC, or run make release on a Mac)"; \
	fi
	cd $(DIST) && sha256sum checkgrid-* > SHA256SUMS
	$(DIST)/checkgrid-server-linux-$$($(GO) env GOARCH) -version
	ls -l $(DIST)

# CI's proof that every release target still builds: the same builds as
# release (-trimpath, so they share its build cache), linked to /dev/null;
# nothing runs. The macOS client is skipped without DARWIN_CC, as in release.
crossbuild:
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -trimpath -o /dev/null ./server
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build -trimpath -o /dev/null ./server
	CGO_ENABLED=1 GOOS=linux GOARCH=amd64 $(GO) build -trimpath -o /dev/null ./wasm
	CGO_ENABLED=0 GOOS=windows GOARCH=amd64 $(GO) build -trimpath -o /dev/null ./wasm
	@if [ -n "$(DARWIN_CC)" ]; then CGO_ENABLED=1 CC="$(DARWIN_CC)" GOOS=darwin GOARCH=arm64 $(GO) build -o /dev/null ./wasm; \
	else echo "crossbuild: darwin/arm64 desktop skipped (needs DARWIN_CC, a macOS SDK)"; fi

DEADCODE := golang.org/x/tools/cmd/deadcode@v0.52.0
# vet and staticcheck for both platforms; go.mod and go.sum exactly as
# `go mod tidy` leaves them; no function unreachable from a main or a test.
lint:
	@unformatted="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; if [ -n "$$unformatted" ]; then echo "not gofmt-clean:"; echo "$$unformatted"; exit 1; fi
	$(GO) mod tidy -diff
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet ./protocol/ ./wasm/...
	GOBIN="$(CURDIR)/bin" $(GO) install $(STATICCHECK)
	bin/staticcheck ./...
	GOOS=js GOARCH=wasm bin/staticcheck ./protocol/ ./wasm/...
	GOBIN="$(CURDIR)/bin" $(GO) install $(DEADCODE)
	@dead="$$(bin/deadcode -test ./...)"; if [ -n "$$dead" ]; then echo "$$dead"; echo "dead code (golang.org/x/tools/cmd/deadcode): remove it"; exit 1; fi

FUZZTIME ?= 30s
# Each decoder's fuzz target for FUZZTIME; new failures land in testdata.
fuzz:
	for t in FuzzDecodeDelta FuzzDecodeSet FuzzDecodeReject FuzzDecodeSnapshot FuzzDecodeFixed FuzzReplica FuzzReadHead \
		FuzzDecodeAreaSnapshot FuzzDecodeAreaDelta FuzzDecodeDeltaRange FuzzDecodePresence FuzzReplicaFrames FuzzFollower FuzzParseQuery FuzzNextPlayback FuzzDecodeAnnounce; do \
		$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) ./protocol/ || exit 1; \
	done
	$(GO) test -run '^$$' -fuzz '^FuzzGate$$' -fuzztime $(FUZZTIME) ./server/wsconn/
	$(GO) test -run '^$$' -fuzz '^FuzzInlineFrame$$' -fuzztime $(FUZZTIME) ./server/wsconn/
	$(GO) test -run '^$$' -fuzz '^FuzzParsePrefix$$' -fuzztime $(FUZZTIME) ./server/moderation/
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeStoredSnapshot$$' -fuzztime $(FUZZTIME) ./server/cluster/
	$(GO) test -run '^$$' -fuzz '^FuzzNextEntry$$' -fuzztime $(FUZZTIME) ./server/history/
	$(GO) test -run '^$$' -fuzz '^FuzzQuery$$' -fuzztime $(FUZZTIME) ./server/history/
	$(GO) test -run '^$$' -fuzz '^FuzzReadExport$$' -fuzztime $(FUZZTIME) ./server/history/
	$(GO) test -run '^$$' -fuzz '^FuzzImport$$' -fuzztime $(FUZZTIME) ./server/history/
	$(GO) test -run '^$$' -fuzz '^FuzzPlaybackQuery$$' -fuzztime $(FUZZTIME) ./server/history/
	$(GO) test -run '^$$' -fuzz '^FuzzParseArea$$' -fuzztime $(FUZZTIME) ./server/admin/
	$(GO) test -run '^$$' -fuzz '^FuzzAuthenticate$$' -fuzztime $(FUZZTIME) ./server/bots/
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./server/announce/
	for t in FuzzReadRunSet FuzzRecordBody FuzzScanSegment; do \
		$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) ./server/store/ || exit 1; \
	done

# What a browser tab costs (issue 24, BENCHMARKS.md "The first second"):
# headless Chromium's main-thread, script and whole-browser CPU per second,
# idle, at Fit, and at Fit under 2,000 toggles/s from a protocol client on
# loopback (about a minute a build). BASELINE_SERVER=<another server
# binary> measures that build first, in the same run.
tabcpu: wasm
	E2E_BASELINE_SERVER=$(BASELINE_SERVER) $(GO) test -count=1 -run '^$$' -bench TabCPU -benchtime 1x -timeout 10m ./wasm/e2e/

# Every benchmark that drives headless Chromium (wasm/e2e: BenchmarkFirstFrame,
# BenchmarkTabCPU, BenchmarkPlaybackDay), once each (-benchtime 1x; each
# starts its own server and browser, and one iteration is already a figure):
# kept out of bench because they take minutes (the day of playback alone
# about 2) and SwiftShader draws on the CPU. tabcpu and playback run one each.
bench-browser: wasm
	$(GO) test -count=1 -run '^$$' -bench . -benchtime 1x -timeout 30m ./wasm/e2e/

# The playback figure (issue 21, BENCHMARKS.md "Playback"): a synthetic
# day of history (2,000 toggles/s, ~400 MiB, written in ~15 s) played at a
# day a minute in headless Chromium: frames shown a second and bytes
# fetched, beside the entropy of the net changes shown (about 2 minutes).
playback: wasm
	$(GO) test -count=1 -run '^$$' -bench '^BenchmarkPlaybackDay$$' -benchtime 1x -timeout 15m ./wasm/e2e/

# The Go micro-benchmarks (no browser: wasm/e2e's are bench-browser's)
# plus a short load scenario (~40 s): the server at 2,000
# connections with a 5 ms tick (more Deltas than it can fan out, so it runs
# at its ceiling; -sync interval so the disk's fsync latency does not cap
# the tick rate instead), then the raw-TCP ceiling of this machine with the
# same sockets and frame size, and the ratio. See BENCHMARKS.md "## Load".
bench:
	$(GO) test -run '^$$' -bench . -benchmem $$($(GO) list ./protocol/ ./server/... ./wasm/... | grep -v '/wasm/e2e$$')
	mkdir -p bin
	$(GO) build -trimpath -o bin/checkgrid-server ./server
	$(GO) run ./tools/loadgen -spawn bin/checkgrid-server -server-args "-sync interval -write-budget 10000000" -mode both -q \
		-tick 5ms -watchers 1596 -observers 4 -clickers 400 -click-rate 5 \
		-ramp 4s -settle 4s -duration 10s

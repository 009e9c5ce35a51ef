package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"checkgrid/server/pause"
)

// hammerExtentEvery: a hammer reads the history's extent again after this
// many requests, so its seqs follow the growing history.
const hammerExtentEvery = 100

// hammer is -history-hammer: clients asking the server's history API
// (PROTOCOL.md, History) for the grid at a random seq, and every fourth
// time a page of records, as fast as it answers, during the second half
// of the window: live players' latency with and without it, same run.
type hammer struct {
	ok, busy, failed atomic.Int64
	lat              *histogram
}

// historyBase is the http(s):// origin of a ws(s):// player URL.
func historyBase(wsURL string) string {
	u := strings.TrimSuffix(wsURL, "/ws")
	if strings.HasPrefix(u, "wss://") {
		return "https://" + strings.TrimPrefix(u, "wss://")
	}
	return "http://" + strings.TrimPrefix(u, "ws://")
}

// runHammer runs n hammer clients against base until ctx ends.
func runHammer(ctx context.Context, n int, base string, roots *x509.CertPool) *hammer {
	h := &hammer{lat: newHistogram()}
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConnsPerHost: n, TLSClientConfig: &tls.Config{RootCAs: roots},
	}}
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.client(ctx, c, base, uint64(i))
		}()
	}
	go func() {
		wg.Wait()
		c.CloseIdleConnections()
	}()
	return h
}

func (h *hammer) client(ctx context.Context, c *http.Client, base string, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 77))
	var ex struct {
		First uint64 `json:"first_seq"`
		Last  uint64 `json:"last_seq"`
	}
	for i := 0; ctx.Err() == nil; i++ {
		if i%hammerExtentEvery == 0 {
			b, code := h.get(ctx, c, base+"/api/history")
			if code != http.StatusOK || json.Unmarshal(b, &ex) != nil || ex.Last <= ex.First {
				if !pause.For(ctx, 100*time.Millisecond) {
					return
				}
				i = -1
				continue
			}
		}
		seq := ex.First + 1 + rng.Uint64N(ex.Last-ex.First)
		url := fmt.Sprintf("%s/api/history/snapshot?seq=%d", base, seq)
		if i%4 == 3 {
			url = fmt.Sprintf("%s/api/history/deltas?from=%d&to=%d", base, seq, ex.Last)
		}
		t0 := time.Now()
		_, code := h.get(ctx, c, url)
		switch {
		case code == http.StatusOK:
			h.ok.Add(1)
			h.lat.add(time.Since(t0))
		case code == http.StatusServiceUnavailable:
			h.busy.Add(1)
		case ctx.Err() == nil:
			h.failed.Add(1)
		}
	}
}

func (h *hammer) get(ctx context.Context, c *http.Client, url string) ([]byte, int) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, 0
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, 0
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, 0
	}
	return b, resp.StatusCode
}

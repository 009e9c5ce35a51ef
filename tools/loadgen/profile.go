package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// captureProfile fetches a CPU profile of seconds from a server's admin
// pprof endpoint into path, for `go tool pprof`. It runs during the
// measurement window, so the profile is of the load being reported.
func captureProfile(ctx context.Context, admin, path string, d time.Duration) error {
	if err := checkLoopback(hostOnly(admin)); err != nil {
		return err
	}
	return fetchTo(ctx, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", admin, max(int(d.Seconds()), 1)), path)
}

// captureHeap fetches the server's live-heap profile into path.
func captureHeap(ctx context.Context, admin, path string) error {
	if err := checkLoopback(hostOnly(admin)); err != nil {
		return err
	}
	return fetchTo(ctx, fmt.Sprintf("http://%s/debug/pprof/heap?gc=1", admin), path)
}

// fetchTo saves url's body in path.
func fetchTo(ctx context.Context, url, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Transport: &http.Transport{Proxy: nil}}).Do(req)
	if err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("profile: %s: http %d", url, resp.StatusCode)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return fmt.Errorf("profile: %w", err)
	}
	return f.Close()
}

// hostOnly returns the host of host:port (or the input if it has no port).
func hostOnly(hostport string) string {
	for i := len(hostport) - 1; i >= 0; i-- {
		if hostport[i] == ':' {
			h := hostport[:i]
			if len(h) > 1 && h[0] == '[' {
				h = h[1 : len(h)-1]
			}
			return h
		}
	}
	return hostport
}

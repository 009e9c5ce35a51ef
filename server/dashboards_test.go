package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// metricRE finds the metric names an expression uses: ours (checkgrid_)
// and the Go client's (go_, process_). Prometheus' own (up) are not a
// server's to export.
var metricRE = regexp.MustCompile(`\b(?:checkgrid|go|process)_[a-z0-9_]+\b`)

// dashboardExprs returns every query of deploy/grafana-dashboard.json,
// after checking the file is a dashboard with panels that have them.
func dashboardExprs(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../deploy/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Title  string `json:"title"`
		UID    string `json:"uid"`
		Panels []struct {
			Title   string `json:"title"`
			Type    string `json:"type"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("grafana-dashboard.json: %v", err)
	}
	var exprs []string
	for _, p := range d.Panels {
		if p.Type == "row" {
			continue
		}
		if len(p.Targets) == 0 {
			t.Errorf("dashboard panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	if d.UID == "" || len(exprs) < 10 {
		t.Fatalf("grafana-dashboard.json: uid %q, %d queries", d.UID, len(exprs))
	}
	return exprs
}

// ruleExprs returns every alert's expression of deploy/checkgrid-alerts.yml,
// after checking each alert has what an operator acts on.
func ruleExprs(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../deploy/checkgrid-alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Expr        string            `yaml:"expr"`
				For         string            `yaml:"for"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("checkgrid-alerts.yml: %v", err)
	}
	var exprs, names []string
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" || r.Expr == "" || r.Annotations["summary"] == "" || !slices.Contains([]string{"page", "ticket"}, r.Labels["severity"]) {
				t.Errorf("alert %+v lacks a name, an expression, a summary or a severity (page, ticket)", r)
			}
			if r.For != "" {
				if _, err := time.ParseDuration(r.For); err != nil {
					t.Errorf("alert %s: for %q: %v", r.Alert, r.For, err)
				}
			}
			exprs, names = append(exprs, r.Expr), append(names, r.Alert)
		}
	}
	// What an operator must be woken for (issue 23).
	for _, want := range []string{"CheckgridDiskFilling", "CheckgridFsyncSlow", "CheckgridSequencerLost", "CheckgridFanoutOverBudget", "CheckgridBadFrames", "CheckgridAbnormalDisconnects"} {
		if !slices.Contains(names, want) {
			t.Errorf("checkgrid-alerts.yml has no %s", want)
		}
	}
	return exprs
}

// exported returns the sample names in a /metrics page.
func exported(t *testing.T, url string) map[string]bool {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	names := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		names[line[:strings.IndexAny(line, "{ ")]] = true
	}
	return names
}

// TestDashboardsNameRealMetrics: every metric the Grafana dashboard and
// the alert rules in deploy/ name is in the /metrics of a real single
// server or a real cluster node (three JetStream servers), so neither file
// can go stale when a metric is renamed or removed.
func TestDashboardsNameRealMetrics(t *testing.T) {
	exprs := append(dashboardExprs(t), ruleExprs(t)...)
	single := startServer(t, "-metrics-on-main")
	node := startServer(t, "-metrics-on-main", "-nats", startJetStream(t))
	have := exported(t, single.URL+"/metrics")
	for n := range exported(t, node.URL+"/metrics") {
		have[n] = true
	}
	seen := map[string]bool{}
	for _, e := range exprs {
		for _, n := range metricRE.FindAllString(e, -1) {
			if !seen[n] && !have[n] {
				t.Errorf("%s (in %q) is not in any server's /metrics", n, e)
			}
			seen[n] = true
		}
	}
	if len(seen) < 20 {
		t.Errorf("only %d metrics named: %v", len(seen), seen)
	}
}

package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

const cliUsage = `usage: checkgrid admin [-url URL] [-token T | -data DIR] [-as NAME] COMMAND ARGS
  -url    the admin listener (default $CHECKGRID_ADMIN_URL, else http://127.0.0.1:9090)
  -token  the operator token (default $CHECKGRID_ADMIN_TOKEN, else DIR/admin.token)
  -data   the server's data directory (default ./data), for its token
  -as     your name in the audit log (default $USER)
commands (AREA is x,y,w,h; WHEN is a seq or an RFC 3339 time):
  fill AREA                 check every box of AREA
  clear AREA                clear every box of AREA
  preview AREA WHEN         how many boxes a rollback of AREA to WHEN would change
  rollback AREA WHEN        set AREA's boxes to their values at WHEN
  image AREA [WHEN] > F.png the area now (or at WHEN) as a PNG
  freeze [-reason R] [AREA] freeze AREA (none: the whole grid): players' Sets inside are refused
  freezes                   the freezes in force
  unfreeze ID               lift freeze ID
  ban (-player ID | -prefix P) [-for D | -until T] [-reason R]
                            refuse every box of a player or an address prefix (none: no expiry)
  bans                      the bans in force
  unban ID                  lift ban ID
  announce [-for D] TEXT    show TEXT to every player for D (default 1h; 1s to 168h)
  announcement              the announcement that is up
  unannounce                take the announcement down
  bots                      every bot token issued (never their secrets)
  bot-issue [-rate R] [-burst B] NAME
                            issue a bot token with its own quota (boxes a second, burst;
                            default a player's); prints the token, shown only this once
  bot-revoke ID             revoke bot token ID and cut off its connections
  top [N]                   the N players and addresses (default 10) with the most boxes
                            changed and refused in the last minute or two
  stats                     the console's figures: players, toggles, refusals, fan-out
                            buckets, data and disk bytes (totals since the start)
`

// errUsage means the command line is wrong; the usage has been printed.
var errUsage = errors.New("admin: usage")

// cliTimeout bounds one admin request: an action waits at most a few
// seconds for its Delta to be published.
const cliTimeout = 30 * time.Second

// Main runs `checkgrid admin …` with args (after "admin") and returns the
// exit code: 0 done, 1 the server refused or failed, 2 a bad command line.
func Main(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	err := cli(args, getenv, stdout)
	switch {
	case errors.Is(err, errUsage):
		fmt.Fprint(stderr, cliUsage)
		return 2
	case err != nil:
		fmt.Fprintln(stderr, "checkgrid admin:", err)
		return 1
	}
	return 0
}

func cli(args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("checkgrid admin", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	base := fs.String("url", or(getenv("CHECKGRID_ADMIN_URL"), "http://127.0.0.1:9090"), "")
	token := fs.String("token", getenv("CHECKGRID_ADMIN_TOKEN"), "")
	data := fs.String("data", "./data", "")
	as := fs.String("as", getenv("USER"), "")
	if err := fs.Parse(args); err != nil || fs.NArg() < 1 {
		return errUsage
	}
	method, path, body, err := request(fs.Args())
	if err != nil {
		return err
	}
	if *token == "" {
		t, err := readToken(filepath.Join(*data, TokenFile))
		if err != nil {
			return err
		}
		*token = t
	}
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body) // maps of strings and bools
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, strings.TrimSuffix(*base, "/")+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set(HeaderAuth, "Bearer "+*token)
	req.Header.Set(HeaderOperator, *as)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := (&http.Client{Timeout: cliTimeout}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(out)))
	}
	_, err = stdout.Write(out)
	return err
}

// readToken reads a token file without making one: the command line is
// not the server.
func readToken(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("no -token, $CHECKGRID_ADMIN_TOKEN or readable token file: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// request turns a command and its arguments into an admin API request.
func request(args []string) (method, path string, body map[string]any, err error) {
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "announce", "announcement", "unannounce":
		return announceRequest(cmd, rest)
	case "bots", "bot-issue", "bot-revoke":
		return botRequest(cmd, rest)
	case "freeze", "freezes", "unfreeze", "ban", "bans", "unban":
		return rulesRequest(cmd, rest)
	case "top":
		switch len(rest) {
		case 0:
			return http.MethodGet, "/api/admin/top", nil, nil
		case 1:
			return http.MethodGet, "/api/admin/top?n=" + url.QueryEscape(rest[0]), nil, nil
		}
		return "", "", nil, errUsage
	case "stats":
		if len(rest) == 0 {
			return http.MethodGet, "/api/admin/stats", nil, nil
		}
		return "", "", nil, errUsage
	}
	if len(rest) == 0 {
		return "", "", nil, errUsage
	}
	if _, err := ParseArea(rest[0]); err != nil {
		return "", "", nil, err
	}
	area := rest[0]
	when := func(q url.Values) {
		if strings.ContainsAny(rest[1], "T:-") {
			q.Set("time", rest[1])
		} else {
			q.Set("seq", rest[1])
		}
	}
	switch {
	case (cmd == "fill" || cmd == "clear") && len(rest) == 1:
		return http.MethodPost, "/api/admin/fill", map[string]any{"area": area, "value": cmd == "fill"}, nil
	case (cmd == "preview" || cmd == "rollback") && len(rest) == 2:
		q := url.Values{"area": {area}}
		when(q)
		if cmd == "preview" {
			return http.MethodGet, "/api/admin/rollback?" + q.Encode(), nil, nil
		}
		b := map[string]any{"area": area}
		for k, v := range q {
			b[k] = v[0]
		}
		return http.MethodPost, "/api/admin/rollback", b, nil
	case cmd == "image" && (len(rest) == 1 || len(rest) == 2):
		q := url.Values{"area": {area}}
		if len(rest) == 2 {
			when(q)
		}
		return http.MethodGet, "/api/admin/area.png?" + q.Encode(), nil, nil
	}
	return "", "", nil, errUsage
}

// announceRequest is request for the announcement commands.
func announceRequest(cmd string, args []string) (method, path string, body map[string]any, err error) {
	switch cmd {
	case "announcement":
		if len(args) == 0 {
			return http.MethodGet, "/api/admin/announce", nil, nil
		}
	case "unannounce":
		if len(args) == 0 {
			return http.MethodDelete, "/api/admin/announce", nil, nil
		}
	case "announce":
		fs := flag.NewFlagSet("announce", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		d := fs.Duration("for", DefaultAnnounceFor, "")
		if err := fs.Parse(args); err != nil || fs.NArg() == 0 {
			return "", "", nil, errUsage
		}
		return http.MethodPost, "/api/admin/announce", map[string]any{"text": strings.Join(fs.Args(), " "), "for": d.String()}, nil
	}
	return "", "", nil, errUsage
}

// botRequest is request for the bot token commands.
func botRequest(cmd string, args []string) (method, path string, body map[string]any, err error) {
	switch cmd {
	case "bots":
		if len(args) == 0 {
			return http.MethodGet, "/api/admin/bots", nil, nil
		}
	case "bot-revoke":
		if len(args) == 1 {
			return http.MethodDelete, "/api/admin/bots/" + url.PathEscape(args[0]), nil, nil
		}
	case "bot-issue":
		fs := flag.NewFlagSet("bot-issue", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		rate := fs.Int("rate", 0, "")
		burst := fs.Int("burst", 0, "")
		if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
			return "", "", nil, errUsage
		}
		return http.MethodPost, "/api/admin/bots", map[string]any{"name": fs.Arg(0), "rate": *rate, "burst": *burst}, nil
	}
	return "", "", nil, errUsage
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

package admin

import (
	"flag"
	"io"
	"net/http"
	"net/url"
)

// rulesRequest is request for the freeze and ban commands.
func rulesRequest(cmd string, args []string) (method, path string, body map[string]any, err error) {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	reason := fs.String("reason", "", "")
	player := fs.String("player", "", "")
	prefix := fs.String("prefix", "", "")
	dur := fs.String("for", "", "")
	until := fs.String("until", "", "")
	if err := fs.Parse(args); err != nil {
		return "", "", nil, errUsage
	}
	rest := fs.Args()
	switch {
	case (cmd == "freezes" || cmd == "bans") && len(rest) == 0 && fs.NFlag() == 0:
		return http.MethodGet, "/api/admin/" + cmd, nil, nil
	case (cmd == "unfreeze" || cmd == "unban") && len(rest) == 1 && fs.NFlag() == 0:
		return http.MethodDelete, "/api/admin/" + cmd[2:] + "s/" + url.PathEscape(rest[0]), nil, nil
	case cmd == "freeze" && len(rest) <= 1 && *player == "" && *prefix == "" && *dur == "" && *until == "":
		b := map[string]any{"reason": *reason}
		if len(rest) == 1 {
			if _, err := ParseArea(rest[0]); err != nil {
				return "", "", nil, err
			}
			b["area"] = rest[0]
		}
		return http.MethodPost, "/api/admin/freezes", b, nil
	case cmd == "ban" && len(rest) == 0 && (*player == "") != (*prefix == ""):
		b := map[string]any{"reason": *reason}
		for k, v := range map[string]string{"player": *player, "prefix": *prefix, "for": *dur, "until": *until} {
			if v != "" {
				b[k] = v
			}
		}
		return http.MethodPost, "/api/admin/bans", b, nil
	}
	return "", "", nil, errUsage
}

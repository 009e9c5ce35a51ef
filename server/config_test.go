package main

import (
	"errors"
	"strings"
	"testing"
)

// Limits that Welcome cannot announce exactly are refused at start, by
// flag and by environment variable alike.
func TestLimitsWelcomeCannotCarryAreRefused(t *testing.T) {
	noEnv := func(string) string { return "" }
	for _, args := range [][]string{
		{"-max-set", "2000"}, {"-max-set", "0"}, {"-rate", "65536"}, {"-rate", "0"},
		{"-burst", "100000"}, {"-addr-rate", "1000000"}, {"-addr-burst", "65536"},
		{"-max-conns-per-addr", "70000"}, {"-history-max-bytes", "-1"}, {"-history-max-age", "-1s"},
		{"-pace-ticks", "0"}, {"-pace-ticks", "21"},
	} {
		_, err := parseConfig(args, noEnv)
		if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), args[0]) {
			t.Errorf("%v: %v, want ErrLimit naming the flag", args, err)
		}
	}
	if _, err := parseConfig(nil, func(k string) string {
		if k == "CHECKGRID_MAX_SET" {
			return "1025"
		}
		return ""
	}); !errors.Is(err, ErrLimit) {
		t.Errorf("CHECKGRID_MAX_SET=1025: %v", err)
	}
	for _, args := range [][]string{nil, {"-max-set", "1024", "-rate", "0.001", "-burst", "65535", "-addr-rate", "65535", "-max-conns-per-addr", "65535"}} {
		if _, err := parseConfig(args, noEnv); err != nil {
			t.Errorf("%v: %v", args, err)
		}
	}
}

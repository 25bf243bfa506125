package main

import (
	"strings"
	"testing"
	"time"
)

// Boolean settings are boolean flags: given alone as the README writes them,
// or with =true / =false, and --help shows each flag with the kind of value
// it takes (none for a boolean).
func TestBooleanSettingsAreBooleanFlags(t *testing.T) {
	noEnv := func(string) string { return "" }
	cases := []struct {
		args []string
		env  string
		want bool
	}{
		{[]string{"--federation-http"}, "", true},
		{[]string{"--federation-http=true"}, "", true},
		{[]string{"--federation-http=false"}, "true", false},
		{nil, "true", true},
		{nil, "", false},
		{[]string{"--federation-http", "--listen", "127.0.0.1:9000"}, "", true},
	}
	for _, c := range cases {
		getenv := noEnv
		if c.env != "" {
			getenv = func(k string) string {
				if k == "COMMONGROUND_FEDERATION_HTTP" {
					return c.env
				}
				return ""
			}
		}
		cfg, err := parseConfig("serve", c.args, getenv, &strings.Builder{})
		if err != nil {
			t.Fatalf("%v (env %q): %v", c.args, c.env, err)
		}
		if cfg.FederationHTTP != c.want {
			t.Errorf("%v (env %q): federation HTTP %v, want %v", c.args, c.env, cfg.FederationHTTP, c.want)
		}
	}
	if _, err := parseConfig("serve", []string{"--federation-http=maybe"}, noEnv, &strings.Builder{}); err == nil ||
		!strings.Contains(err.Error(), "--federation-http") {
		t.Errorf("--federation-http=maybe: %v, want an error naming the flag", err)
	}

	var help strings.Builder
	if _, err := parseConfig("serve", []string{"--help"}, noEnv, &help); err != errHelp {
		t.Fatalf("--help: %v", err)
	}
	for _, want := range []string{"--federation-http  (default false)", "--delivery-workers int  (default 8)",
		"--shutdown-timeout duration  (default 15s)", "--allow-private CIDRs  [$COMMONGROUND_ALLOW_PRIVATE]"} {
		if !strings.Contains(help.String(), want) {
			t.Errorf("--help lacks %q:\n%s", want, help.String())
		}
	}
	if strings.Contains(help.String(), "federation-http string") || strings.Contains(help.String(), "federation-http bool") {
		t.Errorf("--help gives the boolean flag a value:\n%s", help.String())
	}
}

// The federation limits are settings, checked at start-up.
func TestFederationLimitSettings(t *testing.T) {
	noEnv := func(string) string { return "" }
	c, err := parseConfig("serve", nil, noEnv, &strings.Builder{})
	if err != nil || c.InboxWorkers != 8 || c.InboxQuota != 4<<20 || c.Retention != 7*24*time.Hour {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	for _, bad := range [][]string{{"--inbox-workers", "0"}, {"--inbox-quota", "1000"}, {"--federation-retention", "5m"}, {"--trusted-proxies", "not-an-address"}} {
		if _, err := parseConfig("serve", bad, noEnv, &strings.Builder{}); err == nil || !strings.Contains(err.Error(), bad[0]) {
			t.Errorf("%v: %v, want an error naming the setting", bad, err)
		}
	}
}

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/commonground/commonground/internal/testbinary"
	"github.com/commonground/commonground/storage/storagetest"
)

// commonground is the real binary, built once: the load command drives a
// real serve process, as a person running it would.
var commonground string

func TestMain(m *testing.M) {
	var remove func()
	var err error
	if commonground, remove, err = testbinary.Build("../commonground"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	remove()
	os.Exit(code)
}

const adminPassword = "a long admin passphrase"

// serveForLoad sets an instance up (admin init) and runs serve with the
// settings the README gives for load runs; it returns the instance's URL.
func serveForLoad(t *testing.T, dbURL string) string {
	t.Helper()
	dataDir := t.TempDir()
	db := []string{"--data-dir", dataDir}
	if dbURL != "" {
		db = append(db, "--database-url", dbURL)
	}
	init := exec.Command(commonground, append([]string{"admin", "init", "--name", "Load", "--handle", "load", "--admin", "ada"}, db...)...)
	init.Env = testbinary.Env()
	init.Stdin = strings.NewReader(adminPassword + "\n")
	if out, err := init.CombinedOutput(); err != nil {
		t.Fatalf("admin init: %v\n%s", err, out)
	}
	serve := exec.Command(commonground, append([]string{"serve", "--listen", "127.0.0.1:0", "--log-format", "json",
		"--allow-private", "127.0.0.0/8", "--inbox-quota", "268435456"}, db...)...)
	serve.Env = testbinary.Env()
	stderr, err := serve.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { serve.Process.Kill(); serve.Wait() })
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" {
				addr <- line.Addr
			}
		}
	}()
	select {
	case a := <-addr:
		return "http://" + a
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not log 'listening' within 30s")
	}
	return ""
}

// The load command, run briefly against a real instance on each database,
// measures every part and says so in figures that add up; a second run on
// the same instance signs its voters in instead of joining them again.
func TestLoadCommandRunsAgainstARealInstance(t *testing.T) {
	for _, db := range []struct {
		name string
		url  func(t *testing.T) string
	}{
		{"sqlite", func(*testing.T) string { return "" }},
		{"postgres", func(t *testing.T) string { return storagetest.PostgresURL(t) }},
	} {
		t.Run(db.name, func(t *testing.T) {
			target := serveForLoad(t, db.url(t))
			args := []string{"--target", target, "--admin", "ada", "--voters", "3", "--vote-for", "500ms", "--readers", "2",
				"--read-for", "300ms", "--comments", "3", "--activities", "60", "--senders", "6", "--hosts", "1",
				"--followers", "8", "--wait", "60s", "--json"}
			figs := runLoad(t, args)
			if v := figs.Votes; v == nil || v.Votes < 3 || v.PerSecond <= 0 || v.P99 < v.P50 || v.P50 <= 0 {
				t.Errorf("votes: %+v", figs.Votes)
			}
			if len(figs.Pages) != 2 || figs.Pages[0].Requests == 0 || figs.Pages[1].Requests == 0 || figs.Pages[1].Page != "public statement page" {
				t.Errorf("pages: %+v", figs.Pages)
			}
			if in := figs.Inbox; in == nil || in.Activities != 60 || in.HandledPerSecond <= 0 || in.AcceptedPerSecond <= 0 {
				t.Errorf("inbox: %+v", figs.Inbox)
			}
			if fo := figs.Fanout; fo == nil || fo.Inboxes != 8 || fo.LastSeconds < fo.FirstSeconds || fo.FirstSeconds <= 0 {
				t.Errorf("fanout: %+v", figs.Fanout)
			}
			again := runLoad(t, []string{"--target", target, "--admin", "ada", "--voters", "3", "--vote-for", "300ms", "--phases", "votes", "--json"})
			if again.Votes == nil || again.Votes.Votes < 3 || again.Inbox != nil {
				t.Errorf("second run: %+v", again)
			}
		})
	}
}

func runLoad(t *testing.T, args []string) Figures {
	t.Helper()
	c, err := parseConfig(args, strings.NewReader(adminPassword+"\n"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var out, progress bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := run(ctx, c, &out, &progress); err != nil {
		t.Fatalf("cgload: %v\n%s", err, progress.String())
	}
	var figs Figures
	if err := json.Unmarshal(out.Bytes(), &figs); err != nil {
		t.Fatalf("output %q: %v", out.String(), err)
	}
	return figs
}

// Settings that cannot work are refused with a line that says which and why.
func TestLoadCommandRefusesBadSettings(t *testing.T) {
	for _, c := range []struct {
		args  []string
		stdin string
		want  string
	}{
		{[]string{"--phases", "votes,dance"}, "", `--phases: "dance" is not one of`},
		{[]string{"--phases", "votes"}, "", "--admin: name an admin"},
		{[]string{"--phases", "votes", "--admin", "ada"}, "", "no admin password"},
		{[]string{"--phases", "inbox", "--senders", "0"}, "", "--senders and --activities"},
		{[]string{"--phases", "inbox", "--hosts", "0"}, "", "--hosts: from 1 to 200"},
	} {
		t.Setenv("CGLOAD_ADMIN_PASSWORD", "")
		_, err := parseConfig(c.args, strings.NewReader(c.stdin), io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.args, err, c.want)
		}
	}
}

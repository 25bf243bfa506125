package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/commonground/commonground/internal/testbinary"
	"github.com/commonground/commonground/storage/storagetest"
)

// binary is the commonground binary built once for these tests, so that they
// run the real program as an operator would, signals and exit codes included.
var binary string

func TestMain(m *testing.M) {
	var remove func()
	var err error
	if binary, remove, err = testbinary.Build("."); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	remove()
	os.Exit(code)
}

// instance is a running `commonground serve`.
type instance struct {
	cmd     *exec.Cmd
	addr    string
	logs    chan map[string]any
	started map[string]string // attrs of start-up log lines, by message
}

// startServe runs serve with JSON logs and waits for its "listening" line.
func startServe(t testing.TB, args ...string) *instance {
	t.Helper()
	inst := launchServe(t, args...)
	inst.awaitListening(t)
	return inst
}

// launchServe starts serve with JSON logs, without waiting for it.
func launchServe(t testing.TB, args ...string) *instance {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"serve", "--listen", "127.0.0.1:0", "--log-format", "json"}, args...)...)
	cmd.Env = testbinary.Env()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	inst := &instance{cmd: cmd, logs: make(chan map[string]any, 1000), started: map[string]string{}}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	go readLogs(stderr, inst.logs)
	return inst
}

// awaitListening waits for the "listening" line, keeping what the start-up
// lines said (the key's fingerprint, the setup token).
func (inst *instance) awaitListening(t testing.TB) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for inst.addr == "" {
		select {
		case line, ok := <-inst.logs:
			if !ok {
				t.Fatalf("serve exited before listening")
			}
			msg, _ := line["msg"].(string)
			inst.started[msg] = fmt.Sprint(line["fingerprint"])
			if token, ok := line["setup_token"].(string); ok {
				inst.started["setup token"] = token
			}
			if msg == "listening" {
				inst.addr = line["addr"].(string)
			}
		case <-deadline:
			t.Fatal("serve did not log 'listening' within 20s")
		}
	}
}

// readLogs decodes the server's JSON log lines into out. It never blocks the
// server: when nobody reads out (a load test's thousands of access lines),
// lines beyond its buffer are dropped rather than filling the stderr pipe.
func readLogs(r io.Reader, out chan<- map[string]any) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) != nil {
			line = map[string]any{"msg": "unstructured", "text": sc.Text()}
		}
		select {
		case out <- line:
		default:
		}
	}
	close(out)
}

// stop sends SIGTERM and returns the exit code.
func (inst *instance) stop(t testing.TB) int {
	t.Helper()
	inst.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- inst.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop within 20s of SIGTERM")
	}
	return inst.cmd.ProcessState.ExitCode()
}

func get(t testing.TB, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestServeAnswersHealthzStopsOnSignalAndKeepsItsKey(t *testing.T) {
	dataDir := t.TempDir()
	first := startServe(t, "--data-dir", dataDir)
	if status, body := get(t, "http://"+first.addr+"/healthz"); status != 200 || body != "ok\n" {
		t.Fatalf("/healthz = %d %q", status, body)
	}
	key := first.started["movement key pair"]
	if !strings.HasPrefix(key, "SHA256:") {
		t.Fatalf("no key fingerprint logged: %q", key)
	}
	if code := first.stop(t); code != 0 {
		t.Fatalf("exit code after SIGTERM = %d, want 0", code)
	}
	if !sawMessage(first.logs, "stopped") {
		t.Fatal("no 'stopped' log line: shutdown did not complete cleanly")
	}

	second := startServe(t, "--data-dir", dataDir)
	if again := second.started["movement key pair"]; again != key {
		t.Fatalf("key pair changed across restarts: %s then %s", key, again)
	}
	second.stop(t)
}

func TestServeOnPostgres(t *testing.T) {
	dbURL := storagetest.PostgresURL(t)
	inst := startServe(t, "--data-dir", t.TempDir(), "--database-url", dbURL)
	if status, _ := get(t, "http://"+inst.addr+"/healthz"); status != 200 {
		t.Fatalf("/healthz on PostgreSQL = %d", status)
	}
	if code := inst.stop(t); code != 0 {
		t.Fatalf("exit code %d", code)
	}
}

func sawMessage(logs <-chan map[string]any, msg string) bool {
	for line := range logs {
		if line["msg"] == msg {
			return true
		}
	}
	return false
}

func TestBadInputGetsOneClearLineAndNonZeroExit(t *testing.T) {
	notADir := filepath.Join(t.TempDir(), "file")
	os.WriteFile(notADir, []byte("x"), 0o600)
	cases := []struct {
		name     string
		args     []string
		env      []string
		wantCode int
		wantText string
	}{
		{"unknown flag", []string{"serve", "--colour", "blue"}, nil, 2, "flag provided but not defined: -colour"},
		{"unknown command", []string{"serf"}, nil, 2, `unknown command "serf"`},
		{"malformed database URL", []string{"serve", "--database-url", "mysql://x/y"}, nil, 2, "--database-url: unsupported database URL"},
		{"malformed database URL from env", []string{"migrate"}, []string{"COMMONGROUND_DATABASE_URL=postgres://%zz"}, 2, "--database-url: malformed PostgreSQL URL"},
		{"unreachable PostgreSQL", []string{"serve", "--database-url", "postgres://nobody@127.0.0.1:1/cg?sslmode=disable&connect_timeout=2"}, nil, 1, "cannot reach database postgres://nobody@127.0.0.1:1/cg"},
		{"unwritable data directory", []string{"serve", "--data-dir", filepath.Join(notADir, "data")}, nil, 1, "data directory " + filepath.Join(notADir, "data") + " cannot be created"},
		{"bad listen address", []string{"serve", "--listen", "8080"}, nil, 2, `--listen "8080": want host:port`},
		{"base URL with a path", []string{"serve", "--base-url", "https://example.org/cg"}, nil, 2, "want only scheme and host"},
		{"bad log format", []string{"serve", "--log-format", "xml"}, nil, 2, "--log-format"},
		{"mail server without a sender", []string{"serve", "--smtp-url", "smtp://mail.example:587"}, nil, 2, "--mail-from: required with --smtp-url"},
		{"mail server URL of another kind", []string{"serve", "--smtp-url", "https://mail.example", "--mail-from", "a@example.org"}, nil, 2, "--smtp-url: want smtp://"},
		{"sender that is no address", []string{"serve", "--smtp-url", "smtp://mail.example", "--mail-from", "Riverside"}, []string{}, 2, `--mail-from "Riverside": want an address`},
		{"digest hour out of range", []string{"serve"}, []string{"COMMONGROUND_DIGEST_HOUR=24"}, 2, `--digest-hour "24": want an hour from 0 to 23`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(binary, c.args...)
			cmd.Env = append(testbinary.Env(), "COMMONGROUND_DATA_DIR="+t.TempDir())
			cmd.Env = append(cmd.Env, c.env...)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			cmd.Run()
			if code := cmd.ProcessState.ExitCode(); code != c.wantCode {
				t.Errorf("exit code %d, want %d", code, c.wantCode)
			}
			lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
			if !strings.HasPrefix(lines[0], "commonground: ") || !strings.Contains(lines[0], c.wantText) {
				t.Errorf("stderr first line %q, want it to contain %q", lines[0], c.wantText)
			}
			if c.name != "unknown command" && len(lines) != 1 {
				t.Errorf("stderr has %d lines, want one:\n%s", len(lines), stderr.String())
			}
		})
	}
}

func TestVersionAndMigrate(t *testing.T) {
	out, err := exec.Command(binary, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "commonground ") {
		t.Fatalf("version: %q %v", out, err)
	}
	cmd := exec.Command(binary, "migrate", "--data-dir", t.TempDir())
	cmd.Env = testbinary.Env()
	out, err = cmd.Output()
	if err != nil || !strings.Contains(string(out), "schema at version") {
		t.Fatalf("migrate: %q %v", out, err)
	}
}

// BenchmarkStartupToHealthz measures a fresh start (new data directory: migrate,
// generate the key pair) to the first 200 from /healthz, and the idle memory.
func BenchmarkStartupToHealthz(b *testing.B) {
	var rssTotal float64
	for b.Loop() {
		dir := b.TempDir()
		cmd := exec.Command(binary, "serve", "--listen", "127.0.0.1:0", "--data-dir", dir, "--log-format", "json")
		cmd.Env = testbinary.Env()
		stderr, _ := cmd.StderrPipe()
		cmd.Start()
		logs := make(chan map[string]any, 100)
		go readLogs(stderr, logs)
		var addr string
		for addr == "" {
			line := <-logs
			if line["msg"] == "listening" {
				addr = line["addr"].(string)
			}
		}
		for {
			resp, err := http.Get("http://" + addr + "/healthz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					break
				}
			}
		}
		b.StopTimer()
		time.Sleep(time.Second)
		rssTotal += rssMB(cmd.Process.Pid)
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		b.StartTimer()
	}
	b.ReportMetric(rssTotal/float64(b.N), "idle-RSS-MB")
}

func rssMB(pid int) float64 {
	status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			var kb float64
			fmt.Sscanf(strings.TrimPrefix(line, "VmRSS:"), "%f", &kb)
			return kb / 1024
		}
	}
	return 0
}

func TestAdminCommandsFromTheShell(t *testing.T) {
	dataDir := t.TempDir()
	admin := func(stdin string, args ...string) (string, string, int) {
		cmd := exec.Command(binary, append([]string{"admin"}, append(args, "--data-dir", dataDir)...)...)
		cmd.Env = testbinary.Env()
		cmd.Stdin = strings.NewReader(stdin)
		var out, errOut strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errOut
		cmd.Run()
		return out.String(), errOut.String(), cmd.ProcessState.ExitCode()
	}
	if out, _, code := admin("", "init", "--help"); code != 0 || !strings.Contains(out, "--handle HANDLE") || strings.Contains(out, "--listen") {
		t.Fatalf("admin init --help: exit %d, want the admin commands' flags, not serve's:\n%s", code, out)
	}
	token, _, code := admin("", "setup-token")
	if code != 0 || len(strings.TrimSpace(token)) < 40 {
		t.Fatalf("setup-token: %q (exit %d)", token, code)
	}
	if again, _, _ := admin("", "setup-token"); again != token {
		t.Fatal("setup-token changed between calls")
	}
	if _, stderr, code := admin("", "init", "--name", "Union", "--handle", "union", "--admin", "ada"); code != 2 || !strings.Contains(stderr, "no password") {
		t.Fatalf("init without a password: exit %d, %q", code, stderr)
	}
	if _, stderr, code := admin("short\n", "init", "--name", "Union", "--handle", "union", "--admin", "ada"); code != 1 || !strings.Contains(stderr, "a password needs at least 10") {
		t.Fatalf("init with a weak password: exit %d, %q", code, stderr)
	}
	if out, stderr, code := admin("a long shared secret\n", "init", "--name", "Union", "--handle", "@Union", "--admin", "ada"); code != 0 || !strings.Contains(out, "set up @union") {
		t.Fatalf("init: exit %d, %q %q", code, out, stderr)
	}
	if _, stderr, code := admin("a long shared secret\n", "init", "--name", "Again", "--handle", "again", "--admin", "bo"); code == 0 || !strings.Contains(stderr, "already set up") {
		t.Fatalf("second init: exit %d, %q", code, stderr)
	}
	if _, stderr, code := admin("", "setup-token"); code == 0 || !strings.Contains(stderr, "already set up") {
		t.Fatalf("setup-token after init: exit %d, %q", code, stderr)
	}
	if out, _, code := admin("members first always\n", "create-user", "--username", "bo", "--role", "facilitator"); code != 0 || !strings.Contains(out, "created bo (facilitator)") {
		t.Fatalf("create-user: %q (exit %d)", out, code)
	}
	if _, stderr, code := admin("members first always\n", "create-user", "--username", "bo"); code == 0 || !strings.Contains(stderr, "taken") {
		t.Fatalf("duplicate create-user: exit %d, %q", code, stderr)
	}
	if out, _, code := admin("a brand new secret\n", "reset-password", "--username", "bo"); code != 0 || !strings.Contains(out, "reset") {
		t.Fatalf("reset-password: %q (exit %d)", out, code)
	}
	if _, stderr, code := admin("a brand new secret\n", "reset-password", "--username", "nobody"); code == 0 || !strings.Contains(stderr, "not found") {
		t.Fatalf("reset-password of nobody: exit %d, %q", code, stderr)
	}
}

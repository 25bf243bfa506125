package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/commonground/commonground/proposals"
	"github.com/commonground/commonground/storage"
)

// peakRSSMB is the most memory the process ever held (VmHWM), in MB.
func peakRSSMB(t testing.TB, pid int) float64 {
	t.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("cannot read the process's memory (needs Linux's /proc): %v", err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			var kb float64
			fmt.Sscanf(strings.TrimPrefix(line, "VmHWM:"), "%f", &kb)
			return kb / 1024
		}
	}
	t.Skip("no VmHWM in /proc/PID/status")
	return 0
}

// post96 sends 96 forms to path, 48 at a time, and counts the answers by status.
func post96(t testing.TB, base, path string, form func(i int) url.Values) map[int]int {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &http.Transport{MaxIdleConnsPerHost: 48}}
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 48)
	for i := range 96 {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			resp, err := client.PostForm(base+path, form(i))
			if err != nil {
				t.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") == "" {
				t.Errorf("503 without Retry-After")
			}
			mu.Lock()
			codes[resp.StatusCode]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	return codes
}

// Password hashing (argon2id, 19 MiB each) cannot exhaust a real serve
// process's memory: a join with a garbage invitation token, and a setup of a
// set-up instance, are refused before any hash; joins with a real invitation
// hash a few at a time, the others waiting briefly, then told to retry (503).
// Before, 96 bogus joins, 48 at once, took the process from 21 MB to 1.76 GB.
func TestPasswordHashingCannotExhaustMemory(t *testing.T) {
	dataDir := t.TempDir()
	ctx := context.Background()
	target, err := storage.ParseURL("", dataDir)
	if err != nil {
		t.Fatal(err)
	}
	db, err := storage.Open(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx, time.Now); err != nil {
		t.Fatal(err)
	}
	svc := proposals.NewService(db.Store(), time.Now)
	admin, err := svc.Initialize(ctx, proposals.Founding{Movement: proposals.Movement{Name: "Union", Handle: "union"},
		Admin: proposals.NewAccount{Username: "ada", Password: "a long shared secret"}})
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := svc.CreateInvitation(ctx, admin, proposals.InvitationRequest{Role: proposals.RoleMember, MaxUses: 1000, ValidDays: 1})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	inst := startServe(t, "--data-dir", dataDir)
	base, pid := "http://"+inst.addr, inst.cmd.Process.Pid
	start := rssMB(pid)
	account := func(i int) url.Values {
		pw := fmt.Sprintf("a long password number %d", i)
		return url.Values{"username": {fmt.Sprintf("joiner%02d", i)}, "password": {pw}, "password_confirm": {pw}}
	}
	bogus := post96(t, base, "/join/garbage-token", account)
	afterBogus := peakRSSMB(t, pid)
	setups := post96(t, base, "/setup", func(i int) url.Values {
		v := account(i)
		v.Set("token", "guess")
		v.Set("name", "Stolen")
		v.Set("handle", "stolen")
		return v
	})
	afterSetups := peakRSSMB(t, pid)
	joins := post96(t, base, "/join/"+token, account)
	afterJoins := peakRSSMB(t, pid)
	t.Logf("RSS at start %.0f MB; peak after 96 bogus joins %.0f MB, after 96 setups of a set-up instance %.0f MB, after 96 real joins %.0f MB",
		start, afterBogus, afterSetups, afterJoins)
	t.Logf("answers: bogus joins %v, setups %v, real joins %v", bogus, setups, joins)

	if bogus[http.StatusNotFound] != 96 {
		t.Errorf("bogus joins answered %v, want 96 × 404", bogus)
	}
	if setups[http.StatusInternalServerError] > 0 || setups[http.StatusSeeOther] > 0 {
		t.Errorf("setups of a set-up instance answered %v", setups)
	}
	if joins[http.StatusSeeOther]+joins[http.StatusServiceUnavailable] != 96 || joins[http.StatusSeeOther] == 0 {
		t.Errorf("real joins answered %v, want each to join (303) or be told to retry (503)", joins)
	}
	// Nothing is hashed for the refused requests; the real joins hash a few
	// at a time (at most 4 × 19 MiB live, twice that with what the garbage collector has not returned yet).
	const bound = 300.0
	if afterSetups > bound || afterJoins > bound {
		t.Errorf("peak memory %.0f MB (refused requests), %.0f MB (real joins): want under %.0f MB", afterSetups, afterJoins, bound)
	}
}

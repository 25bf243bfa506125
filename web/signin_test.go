package web_test

import (
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/commonground/commonground/internal/testclock"
	"github.com/commonground/commonground/storage"
	"github.com/commonground/commonground/storage/storagetest"
)

func (s *site) signIn(username, password string, headers ...string) *http.Response {
	s.t.Helper()
	return s.do("", "POST", "/login", url.Values{"username": {username}, "password": {password}}, headers...)
}

// An attempt counts before the slow password check: 40 wrong passwords sent
// at once get the account's 5 free tries, not 40 (before: every one was
// tried, the limit being checked before and counted after the check).
func TestSignInAttemptsCountBeforeTheCheck(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		clk := testclock.New(time.Now())
		s := newSiteWith(t, db, "http", clk.Now, nil)
		var mu sync.Mutex
		codes := map[int]int{}
		var wg sync.WaitGroup
		for range 40 {
			wg.Go(func() {
				resp := s.signIn("member", "a wrong guess")
				mu.Lock()
				codes[resp.StatusCode]++
				mu.Unlock()
			})
		}
		wg.Wait()
		if codes[http.StatusUnauthorized] > 5 || codes[http.StatusTooManyRequests] < 35 {
			t.Fatalf("40 guesses at once: %v, want at most 5 tried (401), the rest told to wait (429)", codes)
		}
	})
}

// Guessing slows down but never locks the owner out: after 12 wrong passwords
// from anyone, the right one is accepted once the last wait (at most 5
// minutes) is over; the waits grow 1 s, 2 s, 4 s … after 5 free attempts.
// (Before: refused for 15 minutes after 10, whoever had sent them.)
func TestSignInSlowsGuessingWithoutLockingTheOwnerOut(t *testing.T) {
	clk := testclock.New(time.Now())
	s := newSiteWith(t, storagetest.SQLite(t), "http", clk.Now, nil)
	wait := time.Duration(0)
	for i := range 12 {
		clk.Advance(wait)
		if resp := s.signIn("member", "a wrong guess"); resp.StatusCode != 401 {
			t.Fatalf("guess %d after waiting %s: %d", i+1, wait, resp.StatusCode)
		}
		if i >= 4 {
			wait = time.Second << (i - 4)
		}
		if i >= 4 && i < 11 {
			clk.Advance(wait - time.Millisecond)
			if resp := s.signIn("member", "a wrong guess"); resp.StatusCode != 429 {
				t.Fatalf("guess %d before its wait of %s: %d, want 429", i+2, wait, resp.StatusCode)
			}
			clk.Advance(time.Millisecond)
			wait = 0
		}
	}
	// The next attempt waits 128 s: the owner too, and then signs in.
	if resp := s.signIn("member", "secret phrase of xxxxxx"); resp.StatusCode != 429 || !strings.Contains(body(resp), "Wait 3 minutes") {
		t.Fatalf("owner at once after 12 guesses: %d", resp.StatusCode)
	}
	clk.Advance(5 * time.Minute)
	if resp := s.signIn("member", "secret phrase of xxxxxx"); resp.StatusCode != 303 {
		t.Fatalf("owner 5 minutes after 12 guesses: %d, want signed in", resp.StatusCode)
	}
	// The success clears the account's count.
	if resp := s.signIn("member", "a wrong guess"); resp.StatusCode != 401 {
		t.Fatalf("a typo after signing in: %d, want a free attempt", resp.StatusCode)
	}
}

// The per-address limit applies to the client a trusted proxy reports, so the
// people behind one proxy do not share it; without trusted proxies the header
// is ignored, and a client cannot choose its address by writing the header.
func TestSignInAddressLimitBehindATrustedProxy(t *testing.T) {
	attempt := func(s *site, user, forwardedFor string) int {
		return s.signIn(user, "a wrong guess", "X-Forwarded-For", forwardedFor).StatusCode
	}
	users := func(i int) string { return "nobody" + string(rune('a'+i%26)) + string(rune('a'+i/26)) }

	clk := testclock.New(time.Now())
	proxied := newSiteWith(t, storagetest.SQLite(t), "http", clk.Now, []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")})
	for i := range 50 {
		// The leftmost entry is what the client wrote; the proxy appended the rest.
		if got := attempt(proxied, users(i), "198.51.100.1, 203.0.113.7"); got != 401 {
			t.Fatalf("attempt %d from 203.0.113.7: %d", i+1, got)
		}
	}
	if got := attempt(proxied, users(50), "203.0.113.7"); got != 429 {
		t.Fatalf("51st attempt from 203.0.113.7: %d, want 429", got)
	}
	if got := attempt(proxied, users(51), "198.51.100.1, 203.0.113.7"); got != 429 {
		t.Fatalf("the same client claiming another address: %d, want 429", got)
	}
	if got := attempt(proxied, users(52), "203.0.113.8"); got != 401 {
		t.Fatalf("another client behind the same proxy: %d, want its own limit", got)
	}
	if resp := proxied.signIn("admin", "secret phrase of xxxxx", "X-Forwarded-For", "203.0.113.9"); resp.StatusCode != 303 {
		t.Fatalf("the admin behind the same proxy: %d", resp.StatusCode)
	}
	clk.Advance(15 * time.Minute)
	if got := attempt(proxied, users(53), "203.0.113.7"); got != 401 {
		t.Fatalf("after 15 minutes: %d", got)
	}

	direct := newSiteWith(t, storagetest.SQLite(t), "http", clk.Now, nil)
	for i := range 50 {
		attempt(direct, users(i), "203.0.113."+string(rune('0'+i%10)))
	}
	if got := attempt(direct, users(50), "192.0.2.99"); got != 429 {
		t.Fatalf("without trusted proxies, a forwarded-for header changed the address: %d", got)
	}
}

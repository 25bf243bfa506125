package web

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// Sign-in limits: enough for a person who mistypes, far too few to guess, and
// never a lockout of the account's owner.
const (
	// freeSignIns to one account need no wait; each one after waits twice as
	// long as the one before, from the previous attempt: 1 s, 2 s, 4 s … up
	// to maxSignInDelay. An account's attempts are forgotten after a quiet
	// accountMemory, or at once by a success.
	freeSignIns    = 5
	maxSignInDelay = 5 * time.Minute
	accountMemory  = 24 * time.Hour
	// signInsPerAddress is how many attempts one address may make in
	// addressWindow; a success gives its attempt back.
	signInsPerAddress = 50
	addressWindow     = 15 * time.Minute
	// limiterKeys is when the limits drop what they no longer need; one
	// address adds at most signInsPerAddress names per window.
	limiterKeys = 100_000
	// maxAccountKey is the longest account name the limits keep: usernames
	// are at most 30 characters.
	maxAccountKey = 64
)

// signInLimits slows password guessing down without locking anyone out. An
// attempt counts when it starts, before the slow password check, so that
// attempts sent at once cannot all slip under a limit; its outcome then
// settles it. Per account, waits grow after a few free attempts, so guessing
// one password from many addresses gets slow while its owner waits at most
// maxSignInDelay. Per address, a hard limit stops one client guessing across
// many accounts; the address is the one a trusted proxy reports, so that the
// people behind one proxy do not share it. It lives in memory: each process
// limits on its own.
type signInLimits struct {
	mu        sync.Mutex
	now       func() time.Time
	accounts  map[string]*accountAttempts
	addresses map[string][]time.Time
}

type accountAttempts struct {
	count int
	last  time.Time
}

func newSignInLimits(now func() time.Time) *signInLimits {
	return &signInLimits{now: now, accounts: map[string]*accountAttempts{}, addresses: map[string][]time.Time{}}
}

// signInDelay is how long the attempt after n attempts must wait after the
// previous one.
func signInDelay(n int) time.Duration {
	if n < freeSignIns {
		return 0
	}
	if n-freeSignIns >= 20 {
		return maxSignInDelay // beyond the cap; and no overflow of the shift
	}
	return min(time.Second<<(n-freeSignIns), maxSignInDelay)
}

// begin counts an attempt on account from address, or reports how long to
// wait (and whether the address, rather than the account, is at its limit).
func (l *signInLimits) begin(account, address string) (wait time.Duration, byAddress bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.accounts)+len(l.addresses) > limiterKeys {
		l.prune(now)
	}
	times := l.recentFrom(address, now)
	if len(times) >= signInsPerAddress {
		return times[0].Add(addressWindow).Sub(now), true
	}
	a := l.accounts[account]
	if a != nil && now.Sub(a.last) > accountMemory {
		a = nil
	}
	if a == nil {
		a = &accountAttempts{}
		l.accounts[account] = a
	}
	if next := a.last.Add(signInDelay(a.count)); a.count >= freeSignIns && now.Before(next) {
		return next.Sub(now), false
	}
	a.count++
	a.last = now
	l.addresses[address] = append(times, now)
	return 0, false
}

// succeeded settles an attempt that signed in: the account's attempts are
// forgotten, and the address gets its attempt back.
func (l *signInLimits) succeeded(account, address string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.accounts, account)
	l.giveBack(address)
}

// notTried settles an attempt whose password was never checked (the instance
// was busy): it counts for neither.
func (l *signInLimits) notTried(account, address string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if a := l.accounts[account]; a != nil && a.count > 0 {
		a.count--
	}
	l.giveBack(address)
}

func (l *signInLimits) giveBack(address string) {
	if times := l.addresses[address]; len(times) > 0 {
		l.addresses[address] = times[:len(times)-1]
	}
}

// recentFrom is address's attempts within the window; the caller holds the lock.
func (l *signInLimits) recentFrom(address string, now time.Time) []time.Time {
	times := l.addresses[address]
	i := 0
	for i < len(times) && now.Sub(times[i]) >= addressWindow {
		i++
	}
	if i == len(times) {
		delete(l.addresses, address)
		return nil
	}
	return times[i:]
}

// prune forgets what no limit needs any more; the caller holds the lock.
func (l *signInLimits) prune(now time.Time) {
	for key, a := range l.accounts {
		if now.Sub(a.last) > accountMemory || a.count < freeSignIns && now.Sub(a.last) > addressWindow {
			delete(l.accounts, key)
		}
	}
	for key := range l.addresses {
		if times := l.recentFrom(key, now); times != nil {
			l.addresses[key] = times
		}
	}
}

// clientAddress is the address a request comes from: the peer's, or, when
// the peer is a trusted proxy, the nearest address its X-Forwarded-For names
// that is not itself a trusted proxy. Entries further left were written by
// the client and could say anything.
func clientAddress(r *http.Request, trusted []netip.Prefix) string {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	addr := peer.Addr().Unmap()
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0 && inPrefixes(trusted, addr); i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a malformed entry: the last trusted hop is the best we know
		}
		addr = hop.Unmap()
	}
	return addr.String()
}

func inPrefixes(prefixes []netip.Prefix, addr netip.Addr) bool {
	for _, p := range prefixes {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// waitText says a wait in words: "1 second", "40 seconds", "3 minutes".
func waitText(d time.Duration) string {
	secs := int((d + time.Second - 1) / time.Second)
	switch {
	case secs <= 1:
		return "1 second"
	case secs < 60:
		return fmt.Sprintf("%d seconds", secs)
	case secs < 120:
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", (secs+59)/60)
}

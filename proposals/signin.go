package proposals

import (
	"context"
	"time"
)

// Sign-in limits: enough for a person who mistypes, far too few to guess, and
// never a lockout of the account's owner. They are kept in the database, so
// that every process sharing it applies the same limits.
const (
	// FreeSignIns to one account need no wait; each one after waits twice as
	// long as the one before, from the previous attempt: 1 s, 2 s, 4 s … up
	// to MaxSignInDelay. An account's attempts are forgotten after a quiet
	// SignInAccountMemory, or at once by a success.
	FreeSignIns         = 5
	MaxSignInDelay      = 5 * time.Minute
	SignInAccountMemory = 24 * time.Hour
	// SignInsPerAddress is how many attempts one address may make in
	// SignInAddressWindow; a success gives its attempt back.
	SignInsPerAddress   = 50
	SignInAddressWindow = 15 * time.Minute
)

// SignInRecord is what the limits remember of one account's attempts.
type SignInRecord struct {
	Attempts int
	Last     time.Time
}

// SignInTx is the storage port for the sign-in limits.
type SignInTx interface {
	// LockSignIns makes attempts on account, and attempts from address,
	// take turns across every process until the transaction ends.
	LockSignIns(ctx context.Context, account, address string) error
	// SignInAccount returns account's record; a zero one when it has none.
	SignInAccount(ctx context.Context, account string) (SignInRecord, error)
	SaveSignInAccount(ctx context.Context, account string, r SignInRecord) error
	DeleteSignInAccount(ctx context.Context, account string) error
	// SignInAttempts returns address's attempts since a time, oldest first.
	SignInAttempts(ctx context.Context, address string, since time.Time) ([]time.Time, error)
	AddSignInAttempt(ctx context.Context, address, account string, at time.Time) error
	// RemoveSignInAttempt gives address back its latest attempt on account.
	RemoveSignInAttempt(ctx context.Context, address, account string) error
	// PurgeSignIns forgets attempts older than attemptsBefore and accounts
	// quiet since accountsBefore, or with few attempts since idleBefore.
	PurgeSignIns(ctx context.Context, attemptsBefore, accountsBefore, idleBefore time.Time, few int) (int64, error)
}

// signInAccount is the name the limits keep for the account a username
// names: normalised as sign-in does, so "Ada" and " ada" share ada's limit,
// and hashed, so that whatever was typed (any length, any bytes) is kept as
// 64 harmless characters, and no username is kept in the clear.
func signInAccount(username string) string {
	if u, err := usernameOf(username); err == nil {
		username = u
	}
	return TokenHash(username)
}

// SignInDelay is how long the attempt after n attempts must wait after the
// previous one.
func SignInDelay(n int) time.Duration {
	if n < FreeSignIns {
		return 0
	}
	if n-FreeSignIns >= 20 {
		return MaxSignInDelay // beyond the cap; and no overflow of the shift
	}
	return min(time.Second<<(n-FreeSignIns), MaxSignInDelay)
}

// SignInWait is the answer to an attempt that must wait: how long, and
// whether its address (rather than its account) is at its limit.
type SignInWait struct {
	Wait      time.Duration
	ByAddress bool
}

// BeginSignIn counts an attempt on account from address, or says how long it
// must wait. An attempt counts when it starts, before the slow password
// check, so that attempts sent at once (to any process) cannot all slip under
// a limit; SignInSucceeded or SignInNotTried then settles it. Per account,
// waits grow after a few free attempts, so guessing one password from many
// addresses gets slow while its owner waits at most MaxSignInDelay. Per
// address, a hard limit stops one client guessing across many accounts.
func (s *Service) BeginSignIn(ctx context.Context, username, address string) (wait SignInWait, err error) {
	account, now := signInAccount(username), s.now()
	err = s.store.InTx(ctx, func(tx Tx) error {
		if err := tx.LockSignIns(ctx, account, address); err != nil {
			return err
		}
		times, err := tx.SignInAttempts(ctx, address, now.Add(-SignInAddressWindow))
		if err != nil {
			return err
		}
		if len(times) >= SignInsPerAddress {
			wait = SignInWait{Wait: times[len(times)-SignInsPerAddress].Add(SignInAddressWindow).Sub(now), ByAddress: true}
			return nil
		}
		rec, err := tx.SignInAccount(ctx, account)
		if err != nil {
			return err
		}
		if now.Sub(rec.Last) > SignInAccountMemory {
			rec = SignInRecord{}
		}
		if next := rec.Last.Add(SignInDelay(rec.Attempts)); rec.Attempts >= FreeSignIns && now.Before(next) {
			wait = SignInWait{Wait: next.Sub(now)}
			return nil
		}
		rec.Attempts++
		rec.Last = now
		if err := tx.SaveSignInAccount(ctx, account, rec); err != nil {
			return err
		}
		return tx.AddSignInAttempt(ctx, address, account, now)
	})
	return wait, err
}

// SignInSucceeded settles an attempt that signed in: the account's attempts
// are forgotten, and the address gets that attempt back (its own: not a
// guess at another account begun meanwhile, or a client could sign in to
// its own account beside each guess and never reach the address's limit).
func (s *Service) SignInSucceeded(ctx context.Context, username, address string) error {
	account := signInAccount(username)
	return s.store.InTx(ctx, func(tx Tx) error {
		if err := tx.LockSignIns(ctx, account, address); err != nil {
			return err
		}
		if err := tx.DeleteSignInAccount(ctx, account); err != nil {
			return err
		}
		return tx.RemoveSignInAttempt(ctx, address, account)
	})
}

// SignInNotTried settles an attempt whose password was never checked (the
// instance was busy): it counts for neither.
func (s *Service) SignInNotTried(ctx context.Context, username, address string) error {
	account := signInAccount(username)
	return s.store.InTx(ctx, func(tx Tx) error {
		if err := tx.LockSignIns(ctx, account, address); err != nil {
			return err
		}
		rec, err := tx.SignInAccount(ctx, account)
		if err != nil {
			return err
		}
		if rec.Attempts > 0 {
			rec.Attempts--
			if err := tx.SaveSignInAccount(ctx, account, rec); err != nil {
				return err
			}
		}
		return tx.RemoveSignInAttempt(ctx, address, account)
	})
}

// PurgeSignIns forgets what no sign-in limit needs any more; serve runs it
// hourly.
func (s *Service) PurgeSignIns(ctx context.Context) (n int64, err error) {
	now := s.now()
	err = s.store.InTx(ctx, func(tx Tx) (err error) {
		n, err = tx.PurgeSignIns(ctx, now.Add(-SignInAddressWindow), now.Add(-SignInAccountMemory), now.Add(-SignInAddressWindow), FreeSignIns)
		return err
	})
	return n, err
}

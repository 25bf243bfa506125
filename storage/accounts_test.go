package storage_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/commonground/commonground/internal/testclock"
	"github.com/commonground/commonground/proposals"
	"github.com/commonground/commonground/storage"
	"github.com/commonground/commonground/storage/storagetest"
)

func newService(db *storage.DB) (*proposals.Service, *testclock.Clock) {
	c := testclock.New(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC))
	return proposals.NewService(db.Store(), c.Now), c
}

var founding = proposals.Founding{
	Movement: proposals.Movement{Name: "Climate Assembly", Handle: "climate", Summary: "Act now."},
	Admin:    proposals.NewAccount{Username: "ada", DisplayName: "Ada", Password: "correct horse battery"},
}

func setUp(t *testing.T, svc *proposals.Service) proposals.Member {
	t.Helper()
	admin, err := svc.Initialize(context.Background(), founding)
	if err != nil {
		t.Fatal(err)
	}
	return admin
}

func TestSetupNeedsTheTokenAndHappensOnce(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		svc, _ := newService(db)
		token, err := svc.SetupToken(ctx)
		if err != nil || len(token) < 40 {
			t.Fatalf("setup token %q, %v", token, err)
		}
		if again, _ := svc.SetupToken(ctx); again != token {
			t.Fatal("setup token changed between calls")
		}
		_, err = svc.Setup(ctx, "wrong-token", founding)
		if !errors.Is(err, proposals.ErrInvalid) || !strings.Contains(err.Error(), "setup token") {
			t.Fatalf("wrong token: %v", err)
		}
		if _, err := svc.Movement(ctx); !errors.Is(err, proposals.ErrNotFound) {
			t.Fatalf("a failed setup left a movement behind: %v", err)
		}
		bad := founding
		bad.Admin.Password = "short"
		if _, err := svc.Setup(ctx, token, bad); !errors.Is(err, proposals.ErrInvalid) {
			t.Fatalf("weak password: %v", err)
		}
		admin, err := svc.Setup(ctx, token, founding)
		if err != nil || admin.Role != proposals.RoleAdmin {
			t.Fatalf("setup: %+v %v", admin, err)
		}
		if _, err := svc.Setup(ctx, token, founding); !errors.Is(err, proposals.ErrConflict) {
			t.Fatalf("second setup: %v", err)
		}
		if _, err := svc.SetupToken(ctx); !errors.Is(err, proposals.ErrConflict) {
			t.Fatalf("setup token after setup: %v", err)
		}
		if need, _ := svc.NeedsSetup(ctx); need {
			t.Fatal("still needs setup")
		}
	})
}

func TestSignInSessionsAndPasswordChange(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		svc, clk := newService(db)
		setUp(t, svc)
		if _, _, err := svc.SignIn(ctx, "ada", "wrong password!"); !errors.Is(err, proposals.ErrUnauthenticated) {
			t.Fatalf("wrong password: %v", err)
		}
		if _, _, err := svc.SignIn(ctx, "nobody", "correct horse battery"); !errors.Is(err, proposals.ErrUnauthenticated) {
			t.Fatalf("unknown user: %v", err)
		}
		token, m, err := svc.SignIn(ctx, " ADA ", "correct horse battery")
		if err != nil || m.Username != "ada" {
			t.Fatalf("sign in: %v", err)
		}
		other, _, _ := svc.SignIn(ctx, "ada", "correct horse battery")
		if got, err := svc.SessionMember(ctx, token); err != nil || got.ID != m.ID {
			t.Fatalf("session: %+v %v", got, err)
		}
		fresh, err := svc.ChangePassword(ctx, m, "correct horse battery", "a new long passphrase")
		if err != nil {
			t.Fatal(err)
		}
		for _, old := range []string{token, other} {
			if _, err := svc.SessionMember(ctx, old); !errors.Is(err, proposals.ErrUnauthenticated) {
				t.Fatalf("old session survived a password change: %v", err)
			}
		}
		if _, err := svc.SessionMember(ctx, fresh); err != nil {
			t.Fatalf("fresh session after password change: %v", err)
		}
		clk.Advance(proposals.SessionLifetime + time.Minute)
		if _, err := svc.SessionMember(ctx, fresh); !errors.Is(err, proposals.ErrUnauthenticated) {
			t.Fatalf("expired session still works: %v", err)
		}
	})
}

func TestInvitationsAndJoining(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		svc, clk := newService(db)
		admin := setUp(t, svc)
		token, inv, err := svc.CreateInvitation(ctx, admin, proposals.InvitationRequest{Role: proposals.RoleFacilitator, MaxUses: 1, ValidDays: 7})
		if err != nil {
			t.Fatal(err)
		}
		// A taken username fails the join and leaves the single use unspent.
		if _, _, err := svc.Join(ctx, token, proposals.NewAccount{Username: "ada", Password: "long enough pass"}); !errors.Is(err, proposals.ErrInvalid) {
			t.Fatalf("duplicate username: %v", err)
		}
		session, bo, err := svc.Join(ctx, token, proposals.NewAccount{Username: "bo", DisplayName: "Bo", Password: "long enough pass"})
		if err != nil || bo.Role != proposals.RoleFacilitator {
			t.Fatalf("join: %+v %v", bo, err)
		}
		if _, err := svc.SessionMember(ctx, session); err != nil {
			t.Fatalf("joined member is not signed in: %v", err)
		}
		_, _, err = svc.Join(ctx, token, proposals.NewAccount{Username: "cy", Password: "long enough pass"})
		if !errors.Is(err, proposals.ErrConflict) || !strings.Contains(err.Error(), "used up") {
			t.Fatalf("reused invitation: %v", err)
		}

		expiring, _, _ := svc.CreateInvitation(ctx, admin, proposals.InvitationRequest{Role: proposals.RoleMember, MaxUses: 5, ValidDays: 1})
		clk.Advance(25 * time.Hour)
		if _, _, err := svc.Join(ctx, expiring, proposals.NewAccount{Username: "cy", Password: "long enough pass"}); !errors.Is(err, proposals.ErrConflict) {
			t.Fatalf("expired invitation: %v", err)
		}
		revoked, inv2, _ := svc.CreateInvitation(ctx, admin, proposals.InvitationRequest{Role: proposals.RoleMember, MaxUses: 5, ValidDays: 1})
		if err := svc.RevokeInvitation(ctx, admin, inv2.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Invitation(ctx, revoked); !errors.Is(err, proposals.ErrConflict) {
			t.Fatalf("revoked invitation: %v", err)
		}
		if _, _, err := svc.CreateInvitation(ctx, bo, proposals.InvitationRequest{Role: proposals.RoleAdmin, MaxUses: 1, ValidDays: 1}); !errors.Is(err, proposals.ErrForbidden) {
			t.Fatalf("a facilitator created an invitation: %v", err)
		}
		invs, _ := svc.Invitations(ctx, admin)
		if len(invs) != 3 || invs[2].ID != inv.ID || invs[2].Uses != 1 {
			t.Fatalf("invitations: %+v", invs)
		}
	})
}

func TestConcurrentJoinsSpendEachUseOnce(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		svc, _ := newService(db)
		admin := setUp(t, svc)
		token, _, _ := svc.CreateInvitation(ctx, admin, proposals.InvitationRequest{Role: proposals.RoleMember, MaxUses: 3, ValidDays: 1})
		var joined atomic.Int32
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				name := "racer" + string(rune('a'+i))
				if _, _, err := svc.Join(ctx, token, proposals.NewAccount{Username: name, Password: "long enough pass"}); err == nil {
					joined.Add(1)
				} else if !errors.Is(err, proposals.ErrConflict) {
					t.Errorf("join %s: %v", name, err)
				}
			}()
		}
		wg.Wait()
		if joined.Load() != 3 {
			t.Fatalf("%d joined through a 3-use invitation", joined.Load())
		}
	})
}

func TestSuspensionRolesAndTheLastAdmin(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		svc, _ := newService(db)
		admin := setUp(t, svc)
		if err := svc.SetRole(ctx, admin, admin.ID, proposals.RoleMember); !errors.Is(err, proposals.ErrConflict) {
			t.Fatalf("last admin demoted themselves: %v", err)
		}
		if err := svc.Suspend(ctx, admin, admin.ID, "testing"); !errors.Is(err, proposals.ErrConflict) {
			t.Fatalf("last admin suspended themselves: %v", err)
		}
		mia, err := svc.CreateMember(ctx, proposals.NewAccount{Username: "mia", Password: "long enough pass"}, proposals.RoleMember)
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.Suspend(ctx, mia, admin.ID, "coup"); !errors.Is(err, proposals.ErrForbidden) {
			t.Fatalf("a member suspended the admin: %v", err)
		}
		session, _, _ := svc.SignIn(ctx, "mia", "long enough pass")
		if err := svc.Suspend(ctx, admin, mia.ID, "  \n "); !errors.Is(err, proposals.ErrInvalid) {
			t.Fatalf("a suspension without a reason: %v", err)
		}
		if _, err := svc.SessionMember(ctx, session); err != nil {
			t.Fatalf("a refused suspension ended the session: %v", err)
		}
		if err := svc.Suspend(ctx, admin, mia.ID, "asked to pause"); err != nil {
			t.Fatal(err)
		}
		record, err := svc.MemberRecord(ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		if got := record[mia.ID]; got.Action != proposals.ActionSuspended || got.Reason != "asked to pause" || got.ActorID != admin.ID {
			t.Fatalf("the suspension's record: %+v", got)
		}
		if others, _ := svc.MemberRecord(ctx, mia); others != nil {
			t.Fatal("a member who is not an admin reads the suspension record")
		}
		if _, err := svc.SessionMember(ctx, session); !errors.Is(err, proposals.ErrUnauthenticated) {
			t.Fatalf("suspended member's session survived: %v", err)
		}
		if _, _, err := svc.SignIn(ctx, "mia", "long enough pass"); !errors.Is(err, proposals.ErrForbidden) {
			t.Fatalf("suspended member signed in: %v", err)
		}
		if err := svc.Reactivate(ctx, admin, mia.ID); err != nil {
			t.Fatal(err)
		}
		if err := svc.SetRole(ctx, admin, mia.ID, proposals.RoleAdmin); err != nil {
			t.Fatal(err)
		}
		if err := svc.SetRole(ctx, admin, admin.ID, proposals.RoleMember); err != nil {
			t.Fatalf("with a second admin, stepping down must work: %v", err)
		}
		if err := svc.SetRole(ctx, admin, mia.ID, "overlord"); !errors.Is(err, proposals.ErrInvalid) {
			t.Fatalf("forged role: %v", err)
		}
	})
}

// Two admins demoting each other at the same moment: one of them wins, and
// the instance keeps an admin.
func TestConcurrentDemotionsKeepAnAdmin(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		svc, _ := newService(db)
		ada := setUp(t, svc)
		bo, err := svc.CreateMember(ctx, proposals.NewAccount{Username: "bo", Password: "long enough pass"}, proposals.RoleAdmin)
		if err != nil {
			t.Fatal(err)
		}
		for round := range 20 {
			var wg sync.WaitGroup
			start := make(chan struct{})
			for _, pair := range [][2]proposals.Member{{ada, bo}, {bo, ada}} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					if err := svc.SetRole(ctx, pair[0], pair[1].ID, proposals.RoleMember); err != nil && !errors.Is(err, proposals.ErrConflict) {
						t.Errorf("round %d: %v", round, err)
					}
				}()
			}
			close(start)
			wg.Wait()
			var admins int
			if err := db.ReadTx(ctx, func(tx *storage.Tx) (err error) { admins, err = tx.CountActiveAdmins(ctx); return err }); err != nil {
				t.Fatal(err)
			}
			if admins != 1 {
				t.Fatalf("round %d: %d admins after two admins demoted each other, want 1", round, admins)
			}
			// Both admins again for the next round.
			for _, m := range []proposals.Member{ada, bo} {
				if err := db.InTx(ctx, func(tx *storage.Tx) error { return tx.UpdateMemberRole(ctx, m.ID, proposals.RoleAdmin, time.Now()) }); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
}

func TestExpiredSessionsArePurged(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		svc, clk := newService(db)
		setUp(t, svc)
		old, _, _ := svc.SignIn(ctx, "ada", "correct horse battery")
		clk.Advance(proposals.SessionLifetime - time.Hour)
		fresh, _, _ := svc.SignIn(ctx, "ada", "correct horse battery")
		clk.Advance(2 * time.Hour)
		if n, err := svc.PurgeExpiredSessions(ctx); err != nil || n != 1 {
			t.Fatalf("purged %d (%v), want 1", n, err)
		}
		if _, err := svc.SessionMember(ctx, fresh); err != nil {
			t.Fatalf("the unexpired session was purged: %v", err)
		}
		if _, err := svc.SessionMember(ctx, old); !errors.Is(err, proposals.ErrUnauthenticated) {
			t.Fatalf("expired session: %v", err)
		}
	})
}

// A password is hashed (19 MiB, tens of milliseconds) only once it is known
// that the account may be made: an invitation that opens nothing, a wrong
// setup token, or an instance set up already is refused first, whatever the
// password. (Before, each of these hashed first: 48 at once took 1.7 GB.)
func TestNothingIsHashedBeforeTheChecks(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		svc, _ := newService(db)
		token, _ := svc.SetupToken(ctx)
		weak := founding
		weak.Admin.Password = "short"
		if _, err := svc.Setup(ctx, "wrong-token", weak); err == nil || !strings.Contains(err.Error(), "setup token") {
			t.Fatalf("wrong token and a weak password: %v, want the token refused first", err)
		}
		admin, err := svc.Setup(ctx, token, founding)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Setup(ctx, token, weak); !errors.Is(err, proposals.ErrConflict) {
			t.Fatalf("setup of a set-up instance with a weak password: %v, want 'already set up' first", err)
		}
		weakAccount := proposals.NewAccount{Username: "eve", Password: "short"}
		if _, _, err := svc.Join(ctx, "garbage-token", weakAccount); !errors.Is(err, proposals.ErrNotFound) {
			t.Fatalf("garbage token and a weak password: %v, want the token not found first", err)
		}
		used, _, _ := svc.CreateInvitation(ctx, admin, proposals.InvitationRequest{Role: proposals.RoleMember, MaxUses: 1, ValidDays: 1})
		if _, _, err := svc.Join(ctx, used, proposals.NewAccount{Username: "bo", Password: "long enough pass"}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.Join(ctx, used, weakAccount); !errors.Is(err, proposals.ErrConflict) {
			t.Fatalf("used-up invitation and a weak password: %v, want 'used up' first", err)
		}
	})
}

// A sign-in that succeeds gives back its own attempt, not the address's
// latest one: a guess at another account begun while its password was
// being checked still counts, and is remembered for the whole window.
func TestSignInSuccessGivesBackItsOwnAttempt(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		svc, clk := newService(db)
		const address = "203.0.113.7"
		if _, err := svc.BeginSignIn(ctx, "ada", address); err != nil { // her own sign-in starts
			t.Fatal(err)
		}
		clk.Advance(time.Second)
		guessAt := clk.Now()
		if _, err := svc.BeginSignIn(ctx, "victim", address); err != nil { // a guess, meanwhile
			t.Fatal(err)
		}
		if err := svc.SignInSucceeded(ctx, "ada", address); err != nil {
			t.Fatal(err)
		}
		var left []time.Time
		err := db.ReadTx(ctx, func(tx *storage.Tx) (err error) {
			left, err = tx.SignInAttempts(ctx, address, guessAt.Add(-time.Hour))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(left) != 1 || !left[0].Equal(guessAt) {
			t.Fatalf("attempts left from the address: %v, want only the guess at %v", left, guessAt)
		}
	})
}

package proposals

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestPasswordPolicy(t *testing.T) {
	cases := []struct {
		username, password string
		ok                 bool
	}{
		{"ada", "correct horse battery", true},
		{"ada", "short", false},
		{"ada", "123456789", false},
		{"ada", "1234567890", true},
		{"ada", "my name is ADA ok?", false},
		{"ada", "          ", false},
		{"ada", strings.Repeat("x", MaxPasswordLen+1), false},
		{"ada", "naïve café ☕ 12", true},
	}
	for _, c := range cases {
		err := CheckPassword(c.username, c.password)
		if (err == nil) != c.ok {
			t.Errorf("CheckPassword(%q, %q) = %v, want ok=%v", c.username, c.password, err, c.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("policy error %v is not ErrInvalid", err)
		}
	}
}

func TestPasswordHashing(t *testing.T) {
	hash, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q is not PHC argon2id", hash)
	}
	other, _ := HashPassword("correct horse battery")
	if other == hash {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	for pw, want := range map[string]bool{"correct horse battery": true, "correct horse batter": false, "": false} {
		if ok, err := VerifyPassword(hash, pw); ok != want || err != nil {
			t.Errorf("VerifyPassword(%q) = %v, %v", pw, ok, err)
		}
	}
	if ok, _ := VerifyPassword(dummyHash, "not-a-real-password"); !ok {
		t.Error("the dummy hash does not verify: sign-in timing would differ for unknown users")
	}
	for _, bad := range []string{"", "$argon2id$", "$bcrypt$v=1$m=1,t=1,p=1$AAAA$AAAA", "$argon2id$v=19$m=x$AAAA$AAAA"} {
		if _, err := VerifyPassword(bad, "x"); err == nil {
			t.Errorf("malformed hash %q accepted", bad)
		}
	}
}

func TestNewAccountAndMovementNormalisation(t *testing.T) {
	a, err := NewAccount{Username: "  Mia_2 ", DisplayName: " Mia ", Password: "long enough pass"}.normalize()
	if err != nil || a.Username != "mia_2" || a.DisplayName != "Mia" {
		t.Fatalf("normalize: %+v %v", a, err)
	}
	for _, bad := range []string{"m", "mia chen", "mia@host", "<b>", strings.Repeat("a", 31)} {
		if _, err := (NewAccount{Username: bad, Password: "long enough pass"}).normalize(); err == nil {
			t.Errorf("username %q accepted", bad)
		}
	}
	m, err := NormalizeMovement(Movement{Name: " Tenants ", Handle: "@Tenants"})
	if err != nil || m.Handle != "tenants" || m.Name != "Tenants" {
		t.Fatalf("movement: %+v %v", m, err)
	}
	var fe *Error
	if _, err := NormalizeMovement(Movement{Name: "x", Handle: "no spaces"}); !errors.As(err, &fe) || fe.Field != "handle" {
		t.Fatalf("bad handle: %v", err)
	}
	if _, err := ParseRole("overlord"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("forged role accepted: %v", err)
	}
}

func TestInvitationState(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	open := Invitation{MaxUses: 2, Uses: 1, ExpiresAt: now.Add(time.Hour)}
	revokedAt := now
	cases := []struct {
		inv   Invitation
		state string
	}{
		{open, "open"},
		{Invitation{MaxUses: 2, Uses: 2, ExpiresAt: now.Add(time.Hour)}, "used up"},
		{Invitation{MaxUses: 2, ExpiresAt: now}, "expired"},
		{Invitation{MaxUses: 2, ExpiresAt: now.Add(time.Hour), RevokedAt: &revokedAt}, "revoked"},
	}
	for _, c := range cases {
		if got := c.inv.State(now); got != c.state {
			t.Errorf("state %q, want %q", got, c.state)
		}
		if c.inv.Usable(now) != (c.state == "open") {
			t.Errorf("usable disagrees with state %q", c.state)
		}
	}
	for _, req := range []InvitationRequest{
		{Role: "member", MaxUses: 0, ValidDays: 1},
		{Role: "member", MaxUses: 1, ValidDays: 0},
		{Role: "member", MaxUses: 1, ValidDays: MaxInvitationDays + 1},
		{Role: "king", MaxUses: 1, ValidDays: 1},
	} {
		if req.check() == nil {
			t.Errorf("request %+v accepted", req)
		}
	}
}

// Password hashes at once are bounded: when every slot is taken, the next
// waits briefly and is then told the instance is busy (503 on the web),
// instead of taking another 19 MiB.
func TestPasswordHashesAtOnceAreBounded(t *testing.T) {
	s := NewService(nil, time.Now)
	if n := cap(s.passwordSlots); n < 1 || n > maxPasswordSlots {
		t.Fatalf("%d password slots", n)
	}
	for range cap(s.passwordSlots) {
		s.passwordSlots <- struct{}{} // every slot busy
	}
	if _, err := s.hashPassword(context.Background(), "correct horse battery"); !errors.Is(err, ErrBusy) {
		t.Fatalf("hash with every slot taken: %v, want ErrBusy", err)
	}
	if _, err := s.verifyPassword(context.Background(), dummyHash, "correct horse battery"); !errors.Is(err, ErrBusy) {
		t.Fatalf("verify with every slot taken: %v, want ErrBusy", err)
	}
	<-s.passwordSlots // one slot frees up
	if hash, err := s.hashPassword(context.Background(), "correct horse battery"); err != nil || hash == "" {
		t.Fatalf("hash with a free slot: %v", err)
	}
	if len(s.passwordSlots) != cap(s.passwordSlots)-1 {
		t.Fatal("the slot was not given back")
	}
}

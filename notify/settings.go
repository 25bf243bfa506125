package notify

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/commonground/commonground/proposals"
)

// Settings is what the notification settings page shows a member.
type Settings struct {
	Email string
	// EmailVerified is false until the member opens the link sent to Email.
	EmailVerified bool
	// EmailOn is false when the instance has no mail server: no email is sent.
	EmailOn     bool
	FediverseOn bool
	// DigestHour is when the daily digest goes out, in the member's time zone.
	DigestHour int
	Fediverse  *FediverseAccount
	// Modes holds every kind and channel, defaults filled in.
	Modes map[Kind]map[Channel]Mode
}

// FediverseAccount is the fediverse account a member linked.
type FediverseAccount struct {
	MemberID      int64
	Handle        string
	ActorID       string
	Inbox         string
	CodeHash      string
	CodeExpiresAt *time.Time
	CodeAttempts  int
	VerifiedAt    *time.Time
	CreatedAt     time.Time
}

// Verified reports whether the member proved the account is theirs.
func (a FediverseAccount) Verified() bool { return a.VerifiedAt != nil }

// Settings returns a member's notification settings.
func (s *Service) Settings(ctx context.Context, m proposals.Member) (Settings, error) {
	if !m.Active() {
		return Settings{}, proposals.ErrForbidden
	}
	st := Settings{EmailOn: s.EmailOn(), FediverseOn: s.FediverseOn(), DigestHour: s.cfg.DigestHour}
	err := s.store.ReadTx(ctx, func(tx Tx) error {
		addr, err := tx.Address(ctx, m.ID)
		if err != nil {
			return err
		}
		st.Email, st.EmailVerified = addr.Email, addr.EmailVerified
		a, err := tx.FediverseAccount(ctx, m.ID)
		switch {
		case err == nil:
			st.Fediverse = &a
		case !errors.Is(err, proposals.ErrNotFound):
			return err
		}
		st.Modes, err = tx.NotifyModes(ctx, m.ID)
		return err
	})
	st.Modes = withDefaults(st.Modes)
	return st, err
}

func withDefaults(modes map[Kind]map[Channel]Mode) map[Kind]map[Channel]Mode {
	out := map[Kind]map[Channel]Mode{}
	for _, k := range Kinds {
		out[k] = map[Channel]Mode{}
		for _, ch := range Channels {
			m := modes[k][ch]
			if m == "" {
				m = DefaultMode(k)
			}
			out[k][ch] = m
		}
	}
	return out
}

// Choice is one kind and channel's mode, as a form sends it.
type Choice struct {
	Kind    Kind
	Channel Channel
	Mode    Mode
}

// MaxEmailLen is the longest address SMTP carries (RFC 5321).
const MaxEmailLen = 254

// CleanEmail checks an address a member typed: one plain address
// (name@domain), or "" for none.
func CleanEmail(raw string) (string, error) {
	email, err := proposals.CleanText("email", raw, proposals.OneLine)
	if err != nil || email == "" {
		return "", err
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || a.Name != "" || len(email) > MaxEmailLen ||
		!strings.Contains(email[strings.LastIndexByte(email, '@')+1:], ".") {
		return "", proposals.Invalid("email", "write one email address, like name@example.org")
	}
	return email, nil
}

// SaveSettings records a member's email and choices together. A new address
// (or one not confirmed yet) is sent a link to confirm it: until then it
// receives nothing else, so that nobody can have the movement mail a
// stranger.
func (s *Service) SaveSettings(ctx context.Context, m proposals.Member, email string, choices []Choice) error {
	if !m.Active() {
		return proposals.ErrForbidden
	}
	email, err := CleanEmail(email)
	if err != nil {
		return err
	}
	now := s.now()
	return s.store.InTx(ctx, func(tx Tx) error {
		before, err := tx.Address(ctx, m.ID)
		if err != nil {
			return err
		}
		if err := tx.SetEmail(ctx, m.ID, email, now); err != nil {
			return err
		}
		if email != "" && s.EmailOn() && (email != before.Email || !before.EmailVerified) {
			// Saved again, the link goes again (the first may be lost), at
			// most once a minute: nobody can have the movement mail a
			// stranger in a stream.
			if err := tx.QueueAgain(ctx, s.confirmation(m.ID, email, now), now.Add(-resendConfirmation), now); err != nil {
				return err
			}
		}
		for _, c := range choices {
			if err := tx.SetNotifyMode(ctx, m.ID, c.Kind, c.Channel, c.Mode, now); err != nil {
				return err
			}
		}
		return nil
	})
}

// resendConfirmation is how long after a confirmation went out saving the
// address again sends it again.
const resendConfirmation = time.Minute

// confirmation is the message with the link that confirms an address: one
// per member and address, sent again when the member saves it again.
func (s *Service) confirmation(memberID int64, email string, now time.Time) Notification {
	link := s.EmailConfirmURL(memberID, email)
	return Notification{MemberID: memberID, Kind: VerifyEmail, Ref: emailRef(email), Channel: Email, Mode: Immediate, Due: now,
		Message: Message{Subject: "Confirm your email address", Link: "/account/notifications",
			Body: "Open this link to receive the notifications you chose at this address:\n\n" + link +
				"\n\nIf you did not give this address, ignore this message: nothing more will be sent to it. Your settings:"}}
}

// emailRef names an address in the queue without spelling it out.
func emailRef(email string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(email)))
	return "e" + hex.EncodeToString(sum[:8])
}

// EmailConfirmURL is the link that confirms memberID's address email.
func (s *Service) EmailConfirmURL(memberID int64, email string) string {
	q := url.Values{"m": {fmt.Sprint(memberID)}, "e": {email}, "t": {s.sign("confirm-email", memberID, email)}}
	return s.cfg.BaseURL + "/account/email/confirm?" + q.Encode()
}

// ConfirmEmail checks a confirmation link and marks the address confirmed,
// if it is still the member's. It needs no sign-in: the signature is the proof.
func (s *Service) ConfirmEmail(ctx context.Context, memberID int64, email, token string) error {
	if !hmac.Equal([]byte(s.sign("confirm-email", memberID, email)), []byte(token)) {
		return proposals.Invalid("t", "this confirmation link is not valid; open your notification settings and save your address again")
	}
	now := s.now()
	return s.store.InTx(ctx, func(tx Tx) error {
		addr, err := tx.Address(ctx, memberID)
		if err != nil {
			return err
		}
		if addr.Email != email {
			return proposals.Invalid("e", "this link is for an address that is no longer on the account; use the link sent to the current one")
		}
		return tx.ConfirmEmail(ctx, memberID, now)
	})
}

// sign is an HMAC of what a link grants, so that it works without sign-in
// and cannot be made for another member or address.
func (s *Service) sign(purpose string, memberID int64, what string) string {
	mac := hmac.New(sha256.New, s.cfg.Secret)
	fmt.Fprintf(mac, "%s|%d|%s", purpose, memberID, what)
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// UnsubscribeToken signs "member m may turn off kind by email" ("all": every
// kind), so that the link works without sign-in and cannot be forged for
// another member.
func (s *Service) UnsubscribeToken(memberID int64, kind string) string {
	return s.sign("unsubscribe", memberID, kind)
}

// UnsubscribeURL is the link in an email that turns its kind off.
func (s *Service) UnsubscribeURL(memberID int64, kind string) string {
	q := url.Values{"m": {fmt.Sprint(memberID)}, "k": {kind}, "t": {s.UnsubscribeToken(memberID, kind)}}
	return s.cfg.BaseURL + "/unsubscribe?" + q.Encode()
}

// CheckUnsubscribe reads an unsubscribe link's parameters: the kinds it
// turns off, or an error when the link is not one this instance signed.
func (s *Service) CheckUnsubscribe(memberID int64, kind, token string) ([]Kind, error) {
	want := s.UnsubscribeToken(memberID, kind)
	if !hmac.Equal([]byte(want), []byte(token)) {
		return nil, proposals.Invalid("t", "this unsubscribe link is not valid; open your notification settings to change what you receive")
	}
	if kind == "all" {
		return Kinds, nil
	}
	k, ok := ParseKind(kind)
	if !ok {
		return nil, proposals.Invalid("k", "this unsubscribe link is not valid; open your notification settings to change what you receive")
	}
	return []Kind{k}, nil
}

// Unsubscribe turns off, by email, what a signed link names. It needs no
// sign-in: the signature is the proof. What was queued for it is dropped.
func (s *Service) Unsubscribe(ctx context.Context, memberID int64, kind, token string) ([]Kind, error) {
	kinds, err := s.CheckUnsubscribe(memberID, kind, token)
	if err != nil {
		return nil, err
	}
	now := s.now()
	err = s.store.InTx(ctx, func(tx Tx) error {
		for _, k := range kinds {
			if err := tx.SetNotifyMode(ctx, memberID, k, Email, Off, now); err != nil {
				return err
			}
		}
		return nil
	})
	return kinds, err
}

// Limits on proving a fediverse account. A member asks for a code (a
// lookup on another server, a message to an account) once a minute at most,
// so that nobody can make the movement send messages, or requests, in a
// stream: checked from the stored account, so it holds across processes.
const (
	codeValidFor   = time.Hour
	codeAttempts   = 5
	codeResendWait = time.Minute
)

// LinkFediverse starts linking a fediverse account: it looks the account up
// and sends it a code by direct message, which the member types back
// (VerifyFediverse). Until then nothing else is sent to it.
func (s *Service) LinkFediverse(ctx context.Context, m proposals.Member, handle, movementName string) error {
	if !m.Active() {
		return proposals.ErrForbidden
	}
	if s.fedi == nil {
		return proposals.Conflict("this instance does not send direct messages")
	}
	now := s.now()
	tooSoon := &proposals.Error{Kind: proposals.ErrTooMany, Field: "handle",
		Message: "a code was asked for less than a minute ago; wait a minute before asking for another"}
	err := s.store.ReadTx(ctx, func(tx Tx) error { // before asking another server
		a, err := tx.FediverseAccount(ctx, m.ID)
		if err == nil && now.Sub(a.CreatedAt) < codeResendWait {
			return tooSoon
		}
		if errors.Is(err, proposals.ErrNotFound) {
			return nil
		}
		return err
	})
	if err != nil {
		return err
	}
	acct, err := s.fedi.LookupAccount(ctx, handle)
	if err != nil {
		return err
	}
	code, err := newCode()
	if err != nil {
		return err
	}
	expires := now.Add(codeValidFor)
	a := FediverseAccount{MemberID: m.ID, Handle: acct.Handle, ActorID: acct.ActorID, Inbox: acct.Inbox,
		CodeHash: proposals.TokenHash(code), CodeExpiresAt: &expires, CreatedAt: now}
	err = s.store.InTx(ctx, func(tx Tx) error {
		// Checked again as the account is saved: another process may have
		// sent a code meanwhile.
		saved, err := tx.SaveFediverseAccountIfOlder(ctx, a, now.Add(-codeResendWait))
		if err == nil && !saved {
			return tooSoon
		}
		return err
	})
	if err != nil {
		return err
	}
	text := fmt.Sprintf("Your code to receive %s's notifications here: %s\n\nType it on your notification settings page (%s/account/notifications) within an hour. "+
		"If you did not ask for it, ignore this message.", movementName, code, s.cfg.BaseURL)
	return s.fedi.SendDirect(ctx, "verify-"+proposals.NewToken(), acct, text) // not derived from the code, which the id would give away
}

// VerifyFediverse checks the code the member typed; right, the account is
// theirs and receives notifications. A few wrong codes end the attempt.
func (s *Service) VerifyFediverse(ctx context.Context, m proposals.Member, code string) error {
	if !m.Active() {
		return proposals.ErrForbidden
	}
	code = strings.TrimSpace(code)
	now := s.now()
	var wrong error
	err := s.store.InTx(ctx, func(tx Tx) error {
		a, err := tx.FediverseAccount(ctx, m.ID)
		if errors.Is(err, proposals.ErrNotFound) {
			return proposals.Invalid("code", "link an account first: a code is sent to it")
		}
		if err != nil {
			return err
		}
		switch {
		case a.Verified():
			return nil
		case a.CodeAttempts >= codeAttempts:
			return proposals.Invalid("code", "too many wrong codes; ask for a new one")
		case a.CodeExpiresAt == nil || !now.Before(*a.CodeExpiresAt):
			return proposals.Invalid("code", "this code has expired; ask for a new one")
		case !hmac.Equal([]byte(proposals.TokenHash(code)), []byte(a.CodeHash)):
			a.CodeAttempts++
			wrong = proposals.Invalid("code", "that is not the code we sent; check the message and try again")
		default:
			a.VerifiedAt, a.CodeHash, a.CodeExpiresAt = &now, "", nil
		}
		return tx.SaveFediverseAccount(ctx, a)
	})
	if err != nil {
		return err
	}
	return wrong // the failed attempt is counted (committed) before it is reported
}

// UnlinkFediverse forgets the member's fediverse account.
func (s *Service) UnlinkFediverse(ctx context.Context, m proposals.Member) error {
	if !m.Active() {
		return proposals.ErrForbidden
	}
	return s.store.InTx(ctx, func(tx Tx) error { return tx.DeleteFediverseAccount(ctx, m.ID) })
}

// newCode is six random digits: short to type, and guessed with five tries
// in a million.
func newCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}

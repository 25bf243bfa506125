package proposals

import (
	"cmp"
	"context"
	"crypto/subtle"
	"errors"
	"strings"
	"time"
)

// SessionLifetime is how long a sign-in lasts.
const SessionLifetime = 30 * 24 * time.Hour

// AccountsTx is the storage port for members, sessions, invitations and setup.
type AccountsTx interface {
	CreateMember(ctx context.Context, m Member, passwordHash string) (Member, error)
	MemberByID(ctx context.Context, id int64) (Member, error)
	MemberByUsername(ctx context.Context, username string) (Member, string, error)
	Members(ctx context.Context) ([]Member, error)
	CountActiveAdmins(ctx context.Context) (int, error)
	LockActiveAdmins(ctx context.Context) (int, error)
	UpdateMemberRole(ctx context.Context, id int64, role Role, at time.Time) error
	UpdateMemberStatus(ctx context.Context, id int64, status MemberStatus, at time.Time) error
	UpdatePasswordHash(ctx context.Context, id int64, hash string, at time.Time) error
	SetTimeZone(ctx context.Context, id int64, zone string, at time.Time) error
	RecordMemberAction(ctx context.Context, a MemberAction) error
	LatestMemberActions(ctx context.Context) (map[int64]MemberAction, error)

	CreateSession(ctx context.Context, tokenHash string, memberID int64, created, expires time.Time) error
	SessionMember(ctx context.Context, tokenHash string, now time.Time) (Member, error)
	DeleteSession(ctx context.Context, tokenHash string) error
	DeleteMemberSessions(ctx context.Context, memberID int64) error
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error)

	CreateInvitation(ctx context.Context, inv Invitation, tokenHash string) (Invitation, error)
	InvitationByToken(ctx context.Context, tokenHash string) (Invitation, error)
	UseInvitation(ctx context.Context, id int64, now time.Time) (bool, error)
	RevokeInvitation(ctx context.Context, id int64, at time.Time) error
	Invitations(ctx context.Context) ([]Invitation, error)

	SetupToken(ctx context.Context) (string, error)
	// SaveSetupToken stores token unless a setup token is stored already.
	SaveSetupToken(ctx context.Context, token string, at time.Time) error
	DeleteSetupToken(ctx context.Context) error
}

var errWrongCredentials = &Error{Kind: ErrUnauthenticated, Message: "Wrong username or password."}

// NeedsSetup reports whether the instance still waits for its first admin.
func (s *Service) NeedsSetup(ctx context.Context) (bool, error) {
	var n int
	err := s.store.ReadTx(ctx, func(tx Tx) (err error) {
		n, err = tx.CountActiveAdmins(ctx)
		return err
	})
	return n == 0, err
}

// SetupToken returns the one-time token that claims a fresh instance, making it
// on first use. It is printed in serve's log and by `admin setup-token`, so only
// whoever runs the server can claim the instance.
func (s *Service) SetupToken(ctx context.Context) (token string, err error) {
	err = s.store.InTx(ctx, func(tx Tx) error {
		if n, err := tx.CountActiveAdmins(ctx); err != nil || n > 0 {
			if err == nil {
				err = Conflict("this instance is already set up")
			}
			return err
		}
		token, err = tx.SetupToken(ctx)
		if errors.Is(err, ErrNotFound) {
			// Processes starting together each make one; the first stored is
			// the token, so every process prints the same.
			if err = tx.SaveSetupToken(ctx, NewToken(), s.now()); err == nil {
				token, err = tx.SetupToken(ctx)
			}
		}
		return err
	})
	return token, err
}

// Founding is what setup asks for: the movement, its first admin and,
// optionally, its founding statement (version 1).
type Founding struct {
	Movement  Movement
	Admin     NewAccount
	Statement Statement
}

// Setup claims a fresh instance with the token: it creates the movement and the
// first admin together, or nothing at all.
func (s *Service) Setup(ctx context.Context, token string, f Founding) (Member, error) {
	return s.found(ctx, f, func(tx Tx) error {
		want, err := tx.SetupToken(ctx)
		if errors.Is(err, ErrNotFound) || (err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(strings.TrimSpace(token))) != 1) {
			return Invalid("token", "this is not the setup token; find it in the server's log or run `commonground admin setup-token`")
		}
		return err
	})
}

// Initialize is setup from the operator's shell, which needs no token.
func (s *Service) Initialize(ctx context.Context, f Founding) (Member, error) {
	return s.found(ctx, f, func(Tx) error { return nil })
}

func (s *Service) found(ctx context.Context, f Founding, authorize func(Tx) error) (admin Member, err error) {
	// Whether the instance may be set up is checked first, so that asking
	// a set-up instance, or giving a wrong token, costs no password hash.
	if err := s.store.ReadTx(ctx, func(tx Tx) error { return mayFound(ctx, tx, authorize) }); err != nil {
		return Member{}, err
	}
	m, err := NormalizeMovement(f.Movement)
	if err != nil {
		return Member{}, err
	}
	acct, hash, err := s.prepareAccount(ctx, f.Admin)
	if err != nil {
		return Member{}, err
	}
	now := s.now()
	m.CreatedAt, m.UpdatedAt = now, now
	err = s.store.InTx(ctx, func(tx Tx) error {
		if err := mayFound(ctx, tx, authorize); err != nil { // again: another setup may have won meanwhile
			return err
		}
		tx.Notify(Notice{Topic: NoticeStatement})
		if err := tx.CreateMovement(ctx, m); err != nil {
			return err
		}
		if err := tx.CreateVersion(ctx, Version{Number: 1, Statement: f.Statement, AdoptedAt: now}); err != nil {
			return err
		}
		for _, d := range DefaultDecisionSettings() {
			if err := tx.SaveDecisionSetting(ctx, d); err != nil {
				return err
			}
		}
		admin, err = tx.CreateMember(ctx, Member{Username: acct.Username, DisplayName: acct.DisplayName,
			Role: RoleAdmin, Status: StatusActive, CreatedAt: now, UpdatedAt: now}, hash)
		if err != nil {
			return err
		}
		return tx.DeleteSetupToken(ctx)
	})
	return admin, err
}

// mayFound refuses a setup when the instance has an admin already, or when
// authorize refuses it.
func mayFound(ctx context.Context, tx Tx, authorize func(Tx) error) error {
	if n, err := tx.CountActiveAdmins(ctx); err != nil || n > 0 {
		if err == nil {
			err = Conflict("this instance is already set up")
		}
		return err
	}
	return authorize(tx)
}

// CreateMember adds an account from the operator's shell.
func (s *Service) CreateMember(ctx context.Context, acct NewAccount, role Role) (Member, error) {
	if _, err := ParseRole(string(role)); err != nil {
		return Member{}, err
	}
	acct, hash, err := s.prepareAccount(ctx, acct)
	if err != nil {
		return Member{}, err
	}
	now := s.now()
	var m Member
	err = s.store.InTx(ctx, func(tx Tx) (err error) {
		m, err = tx.CreateMember(ctx, Member{Username: acct.Username, DisplayName: acct.DisplayName,
			Role: role, Status: StatusActive, CreatedAt: now, UpdatedAt: now}, hash)
		return err
	})
	return m, err
}

// SignIn checks a username and password and opens a session; it returns the
// session token for the cookie.
func (s *Service) SignIn(ctx context.Context, username, password string) (string, Member, error) {
	username, err := usernameOf(username)
	if err != nil || len(password) > MaxPasswordLen*4 {
		return "", Member{}, errWrongCredentials
	}
	var m Member
	var hash string
	err = s.store.ReadTx(ctx, func(tx Tx) (err error) {
		m, hash, err = tx.MemberByUsername(ctx, username)
		return err
	})
	if errors.Is(err, ErrNotFound) {
		hash = dummyHash // the same time as a real account, so that the answer does not say which exist
	} else if err != nil {
		return "", Member{}, err
	}
	ok, err := s.verifyPassword(ctx, hash, password)
	if errors.Is(err, ErrBusy) || ctx.Err() != nil {
		return "", Member{}, cmp.Or(ctx.Err(), err)
	}
	if err != nil || !ok || m.ID == 0 {
		return "", Member{}, errWrongCredentials
	}
	if !m.Active() {
		return "", Member{}, Forbidden("this account is suspended; ask an admin of the movement")
	}
	token, err := s.openSession(ctx, m.ID)
	return token, m, err
}

func (s *Service) openSession(ctx context.Context, memberID int64) (token string, err error) {
	err = s.store.InTx(ctx, func(tx Tx) (err error) {
		token, err = s.createSession(ctx, tx, memberID)
		return err
	})
	return token, err
}

// createSession opens a session in tx and returns its token.
func (s *Service) createSession(ctx context.Context, tx Tx, memberID int64) (string, error) {
	token := NewToken()
	now := s.now()
	return token, tx.CreateSession(ctx, TokenHash(token), memberID, now, now.Add(SessionLifetime))
}

// SessionMember returns the active member a session token belongs to, or
// ErrUnauthenticated when the session is unknown, expired or the member
// suspended. A session read in the last few seconds is taken from memory:
// whatever ends a session or changes a member sends NoticeSessions, which
// empties that memory in every process.
func (s *Service) SessionMember(ctx context.Context, token string) (m Member, err error) {
	if token == "" {
		return Member{}, ErrUnauthenticated
	}
	hash, now := TokenHash(token), s.now()
	m, err = s.sessions.Remember(hash, now, func() (m Member, err error) {
		err = s.store.Single(ctx, func(tx Tx) (err error) {
			m, err = tx.SessionMember(ctx, hash, now)
			return err
		})
		return m, err
	})
	if errors.Is(err, ErrNotFound) {
		return Member{}, ErrUnauthenticated
	}
	return m, err
}

// SignOut ends one session.
func (s *Service) SignOut(ctx context.Context, token string) error {
	return s.store.InTx(ctx, func(tx Tx) error {
		tx.Notify(Notice{Topic: NoticeSessions, ID: s.cachedSessionMember(token)})
		return tx.DeleteSession(ctx, TokenHash(token))
	})
}

// SignOutEverywhere ends every session of the member.
func (s *Service) SignOutEverywhere(ctx context.Context, actor Member) error {
	return s.store.InTx(ctx, func(tx Tx) error {
		tx.Notify(Notice{Topic: NoticeSessions, ID: actor.ID})
		return tx.DeleteMemberSessions(ctx, actor.ID)
	})
}

// ChangePassword checks the current password, sets the new one and ends every
// session (a stolen cookie dies with the old password); it returns a fresh
// session token for the browser that made the change.
func (s *Service) ChangePassword(ctx context.Context, actor Member, current, next string) (string, error) {
	var hash string
	err := s.store.ReadTx(ctx, func(tx Tx) (err error) {
		_, hash, err = tx.MemberByUsername(ctx, actor.Username)
		return err
	})
	if err != nil {
		return "", err
	}
	ok, err := s.verifyPassword(ctx, hash, current)
	if errors.Is(err, ErrBusy) || ctx.Err() != nil {
		return "", cmp.Or(ctx.Err(), err)
	}
	if !ok {
		return "", Invalid("current_password", "this is not your current password")
	}
	if err := s.setPassword(ctx, actor, next); err != nil {
		return "", err
	}
	return s.openSession(ctx, actor.ID)
}

// ResetPassword sets a member's password from the operator's shell.
func (s *Service) ResetPassword(ctx context.Context, username, password string) error {
	username, err := usernameOf(username)
	if err != nil {
		return err
	}
	var m Member
	err = s.store.ReadTx(ctx, func(tx Tx) (err error) {
		m, _, err = tx.MemberByUsername(ctx, username)
		return err
	})
	if err != nil {
		return err
	}
	return s.setPassword(ctx, m, password)
}

func (s *Service) setPassword(ctx context.Context, m Member, password string) error {
	if err := CheckPassword(m.Username, password); err != nil {
		return err
	}
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx Tx) error {
		if err := tx.UpdatePasswordHash(ctx, m.ID, hash, s.now()); err != nil {
			return err
		}
		tx.Notify(Notice{Topic: NoticeSessions, ID: m.ID})
		return tx.DeleteMemberSessions(ctx, m.ID)
	})
}

// Members lists every account; any active member may see who else is in.
func (s *Service) Members(ctx context.Context, actor Member) (ms []Member, err error) {
	if !actor.Active() {
		return nil, ErrForbidden
	}
	err = s.store.ReadTx(ctx, func(tx Tx) (err error) {
		ms, err = tx.Members(ctx)
		return err
	})
	return ms, err
}

// SetRole changes a member's role; admins only. The last active admin keeps
// the role, so the instance can never lose its last administrator.
func (s *Service) SetRole(ctx context.Context, actor Member, memberID int64, role Role) error {
	if _, err := ParseRole(string(role)); err != nil {
		return err
	}
	return s.adminChange(ctx, actor, memberID, func(tx Tx, target Member) error {
		if target.Role == RoleAdmin && role != RoleAdmin {
			if err := s.keepAnAdmin(ctx, tx, target); err != nil {
				return err
			}
		}
		return tx.UpdateMemberRole(ctx, target.ID, role, s.now())
	})
}

// MaxSuspensionReason bounds the reason an admin gives for a suspension.
const MaxSuspensionReason = 300

// Suspend stops a member from doing anything and ends their sessions. The
// admin says why; the reason is kept with who suspended and when.
func (s *Service) Suspend(ctx context.Context, actor Member, memberID int64, reason string) error {
	reason, err := CleanText("reason", reason, Paragraphs)
	if err != nil {
		return err
	}
	switch n := len([]rune(reason)); {
	case n == 0:
		return Invalid("reason", "say why this member is suspended: the reason is kept on the record")
	case n > MaxSuspensionReason:
		return Invalid("reason", "a reason can be at most %d characters", MaxSuspensionReason)
	}
	return s.adminChange(ctx, actor, memberID, func(tx Tx, target Member) error {
		// The last admin hears that first: "ask another admin" would send
		// them looking for one there is not.
		if target.Role == RoleAdmin {
			if err := s.keepAnAdmin(ctx, tx, target); err != nil {
				return err
			}
		}
		if target.ID == actor.ID {
			return Conflict("you cannot suspend yourself; ask another admin")
		}
		if err := tx.UpdateMemberStatus(ctx, target.ID, StatusSuspended, s.now()); err != nil {
			return err
		}
		if err := tx.RecordMemberAction(ctx, MemberAction{MemberID: target.ID, ActorID: actor.ID, Action: ActionSuspended, Reason: reason, At: s.now()}); err != nil {
			return err
		}
		return tx.DeleteMemberSessions(ctx, target.ID)
	})
}

// Reactivate lets a suspended member act again (they sign in anew).
func (s *Service) Reactivate(ctx context.Context, actor Member, memberID int64) error {
	return s.adminChange(ctx, actor, memberID, func(tx Tx, target Member) error {
		if err := tx.UpdateMemberStatus(ctx, target.ID, StatusActive, s.now()); err != nil {
			return err
		}
		return tx.RecordMemberAction(ctx, MemberAction{MemberID: target.ID, ActorID: actor.ID, Action: ActionReactivated, At: s.now()})
	})
}

// MemberRecord returns, for admins, each member's latest suspension or
// reactivation (who, when, why); others get nothing.
func (s *Service) MemberRecord(ctx context.Context, actor Member) (map[int64]MemberAction, error) {
	if !actor.IsAdmin() {
		return nil, nil
	}
	var actions map[int64]MemberAction
	err := s.store.ReadTx(ctx, func(tx Tx) (err error) {
		actions, err = tx.LatestMemberActions(ctx)
		return err
	})
	return actions, err
}

// SetTimeZone sets the time zone the actor reads times in: an IANA name
// such as "Europe/Paris", or "" for the browser's.
func (s *Service) SetTimeZone(ctx context.Context, actor Member, zone string) error {
	zone = strings.TrimSpace(zone)
	if _, err := LoadZone(zone); err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx Tx) error {
		// The zone is part of every cached session of the member.
		tx.Notify(Notice{Topic: NoticeSessions, ID: actor.ID})
		return tx.SetTimeZone(ctx, actor.ID, zone, s.now())
	})
}

// LoadZone reads a time zone name; "" and "UTC" are UTC. A name the time zone
// database does not know is refused with a message for the person.
func LoadZone(zone string) (*time.Location, error) {
	if zone == "" {
		return time.UTC, nil
	}
	if len(zone) > 64 { // the longest name in the database is 32 bytes
		return nil, Invalid("time_zone", "choose a time zone from the list, such as Europe/Paris")
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return nil, Invalid("time_zone", "choose a time zone from the list, such as Europe/Paris")
	}
	return loc, nil
}

func (s *Service) adminChange(ctx context.Context, actor Member, memberID int64, change func(Tx, Member) error) error {
	if !actor.IsAdmin() {
		return Forbidden("only admins manage members")
	}
	return s.store.InTx(ctx, func(tx Tx) error {
		target, err := tx.MemberByID(ctx, memberID)
		if err != nil {
			return err
		}
		// A role or a status is part of every cached session of the member.
		tx.Notify(Notice{Topic: NoticeSessions, ID: target.ID})
		return change(tx, target)
	})
}

func (s *Service) keepAnAdmin(ctx context.Context, tx Tx, target Member) error {
	n, err := tx.LockActiveAdmins(ctx)
	if err != nil {
		return err
	}
	if n <= 1 && target.Active() {
		return Titled(Conflict("%s is the last admin, and an instance always keeps one: make another member admin first", target.Name()), "The last admin stays an admin")
	}
	return nil
}

// CreateInvitation makes an invitation link; it returns the token, which is
// shown once (the database keeps only its hash).
func (s *Service) CreateInvitation(ctx context.Context, actor Member, req InvitationRequest) (string, Invitation, error) {
	if !actor.IsAdmin() {
		return "", Invitation{}, Forbidden("only admins invite")
	}
	note, err := CleanText("note", req.Note, OneLine)
	if err != nil {
		return "", Invitation{}, err
	}
	req.Note = note
	if err := req.check(); err != nil {
		return "", Invitation{}, err
	}
	token := NewToken()
	now := s.now()
	inv := Invitation{Role: req.Role, CreatedBy: actor.ID, Note: req.Note, MaxUses: req.MaxUses,
		ExpiresAt: now.Add(time.Duration(req.ValidDays) * 24 * time.Hour), CreatedAt: now}
	err = s.store.InTx(ctx, func(tx Tx) (err error) {
		inv, err = tx.CreateInvitation(ctx, inv, TokenHash(token))
		return err
	})
	return token, inv, err
}

// Invitations lists every invitation, newest first; admins only.
func (s *Service) Invitations(ctx context.Context, actor Member) (invs []Invitation, err error) {
	if !actor.IsAdmin() {
		return nil, Forbidden("only admins see invitations")
	}
	err = s.store.ReadTx(ctx, func(tx Tx) (err error) {
		invs, err = tx.Invitations(ctx)
		return err
	})
	return invs, err
}

// RevokeInvitation makes an invitation link stop working.
func (s *Service) RevokeInvitation(ctx context.Context, actor Member, id int64) error {
	if !actor.IsAdmin() {
		return Forbidden("only admins revoke invitations")
	}
	return s.store.InTx(ctx, func(tx Tx) error { return tx.RevokeInvitation(ctx, id, s.now()) })
}

// Invitation returns the invitation behind a token if it can still be used.
func (s *Service) Invitation(ctx context.Context, token string) (inv Invitation, err error) {
	err = s.store.ReadTx(ctx, func(tx Tx) (err error) {
		inv, err = tx.InvitationByToken(ctx, TokenHash(token))
		return err
	})
	if err != nil {
		return Invitation{}, err
	}
	if !inv.Usable(s.now()) {
		return inv, invitationUnusable(inv.State(s.now()))
	}
	return inv, nil
}

// Join creates an account through an invitation and signs the new member in.
// Using the invitation, creating the account and opening its session happen
// together: a taken username leaves the invitation's uses untouched, and a
// failure leaves nothing half done.
func (s *Service) Join(ctx context.Context, token string, acct NewAccount) (session string, m Member, err error) {
	// The invitation is checked first, so that a token that opens nothing
	// costs no password hash; it is checked again when it is used.
	if _, err := s.Invitation(ctx, token); err != nil {
		return "", Member{}, err
	}
	acct, hash, err := s.prepareAccount(ctx, acct)
	if err != nil {
		return "", Member{}, err
	}
	now := s.now()
	err = s.store.InTx(ctx, func(tx Tx) error {
		inv, err := tx.InvitationByToken(ctx, TokenHash(token))
		if err != nil {
			return err
		}
		used, err := tx.UseInvitation(ctx, inv.ID, now)
		if err != nil {
			return err
		}
		if !used {
			return invitationUnusable(inv.State(now))
		}
		m, err = tx.CreateMember(ctx, Member{Username: acct.Username, DisplayName: acct.DisplayName,
			Role: inv.Role, Status: StatusActive, CreatedAt: now, UpdatedAt: now}, hash)
		if err != nil {
			return err
		}
		session, err = s.createSession(ctx, tx, m.ID)
		return err
	})
	if err != nil {
		return "", Member{}, err
	}
	return session, m, nil
}

// UpdateProfile changes the movement's name and description; admins only.
func (s *Service) UpdateProfile(ctx context.Context, actor Member, name, summary string) error {
	if !actor.IsAdmin() {
		return Forbidden("only admins change the movement's settings")
	}
	return s.store.InTx(ctx, func(tx Tx) error {
		m, err := tx.Movement(ctx)
		if err != nil {
			return err
		}
		m.Name, m.Summary = name, summary
		if m, err = NormalizeMovement(m); err != nil {
			return err
		}
		tx.Notify(Notice{Topic: NoticeStatement})
		if err := tx.UpdateMovementProfile(ctx, m.Name, m.Summary, s.now()); err != nil {
			return err
		}
		return tx.RecordEvent(ctx, EventProfileUpdated, 0, s.now())
	})
}

// PurgeExpiredSessions deletes sessions past their expiry; serve runs it hourly
// so the table does not grow without bound.
func (s *Service) PurgeExpiredSessions(ctx context.Context) (n int64, err error) {
	err = s.store.InTx(ctx, func(tx Tx) (err error) {
		n, err = tx.DeleteExpiredSessions(ctx, s.now())
		return err
	})
	return n, err
}

// invitationUnusable says, in its heading too, why an invitation link no
// longer works: used up, expired and revoked call for different answers.
func invitationUnusable(state string) error {
	title := map[string]string{"used up": "This invitation is used up", "expired": "This invitation has expired",
		"revoked": "This invitation was withdrawn"}[state]
	if title == "" {
		title = "This invitation no longer works"
	}
	return Titled(Conflict("this invitation link is %s; ask an admin of the movement for a new one", state), title)
}

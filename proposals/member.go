package proposals

import (
	"context"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Role is what a member may do beyond proposing, commenting and voting.
type Role string

const (
	// RoleAdmin manages members, invitations and the movement's settings.
	RoleAdmin Role = "admin"
	// RoleFacilitator opens, closes and withdraws proposals and moderates discussion.
	RoleFacilitator Role = "facilitator"
	// RoleMember proposes, comments and votes.
	RoleMember Role = "member"
)

// Roles in the order the UI lists them.
var Roles = []Role{RoleMember, RoleFacilitator, RoleAdmin}

// ParseRole refuses anything but the three roles, so a forged form value is an error.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", Invalid("role", "choose member, facilitator or admin")
}

// MemberStatus says whether a member may act at all.
type MemberStatus string

const (
	StatusActive    MemberStatus = "active"
	StatusSuspended MemberStatus = "suspended"
)

// Member is a person with an account on the instance.
type Member struct {
	ID          int64
	Username    string
	DisplayName string
	Role        Role
	Status      MemberStatus
	// TimeZone is the IANA zone the member reads times in; "" for the
	// browser's (or UTC without one).
	TimeZone  string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Admins' actions on a member, kept on the record.
const (
	ActionSuspended   = "suspended"
	ActionReactivated = "reactivated"
)

// MemberAction is an admin's suspension or reactivation of a member.
type MemberAction struct {
	MemberID  int64
	ActorID   int64
	ActorName string
	Action    string
	Reason    string
	At        time.Time
}

// Active reports whether the member may act.
func (m Member) Active() bool { return m.Status == StatusActive }

// IsAdmin reports whether the member is an active admin.
func (m Member) IsAdmin() bool { return m.Active() && m.Role == RoleAdmin }

// IsFacilitator reports whether the member is an active facilitator or admin:
// admins can do what facilitators do.
func (m Member) IsFacilitator() bool {
	return m.Active() && (m.Role == RoleFacilitator || m.Role == RoleAdmin)
}

// Name is what the UI shows: the display name, or the username when there is none.
func (m Member) Name() string {
	if m.DisplayName != "" {
		return m.DisplayName
	}
	return m.Username
}

var usernamePattern = regexp.MustCompile(`^[a-z0-9_]{2,30}$`)

// Password limits. The upper bound keeps a hostile 1 MB "password" from making
// the hash function the bottleneck.
const (
	MinPasswordLen = 10
	MaxPasswordLen = 256
	MaxDisplayName = 60
)

// NewAccount is what a person gives to get an account.
type NewAccount struct {
	Username    string
	DisplayName string
	Password    string
}

// usernameOf is a typed username as accounts keep it: cleaned as every text
// a person types, in lower case. Joining, signing in, the sign-in limits and
// naming a co-author all read usernames through it, so "Ada" is ada
// everywhere.
func usernameOf(typed string) (string, error) {
	username, err := CleanText("username", typed, OneLine)
	return strings.ToLower(username), err
}

// normalize trims and checks an account, naming the field at fault.
func (a NewAccount) normalize() (NewAccount, error) {
	username, err := usernameOf(a.Username)
	if err != nil {
		return a, err
	}
	a.Username = username
	if a.DisplayName, err = CleanText("display_name", a.DisplayName, OneLine); err != nil {
		return a, err
	}
	if !usernamePattern.MatchString(a.Username) {
		return a, Invalid("username", "a username is 2 to 30 lowercase letters, digits or underscores")
	}
	if utf8.RuneCountInString(a.DisplayName) > MaxDisplayName {
		return a, Invalid("display_name", "a display name can be at most %d characters", MaxDisplayName)
	}
	return a, CheckPassword(a.Username, a.Password)
}

// prepareAccount normalizes an account and hashes its password, within the
// bound on hashes at once: what every way of creating an account does before
// its transaction, once it is known that the account may be created.
func (s *Service) prepareAccount(ctx context.Context, a NewAccount) (NewAccount, string, error) {
	a, err := a.normalize()
	if err != nil {
		return a, "", err
	}
	hash, err := s.hashPassword(ctx, a.Password)
	return a, hash, err
}

// CheckPassword applies the password policy: long enough, not absurdly long, and
// not built from the username.
func CheckPassword(username, password string) error {
	n := utf8.RuneCountInString(password)
	switch {
	case n < MinPasswordLen:
		return Invalid("password", "a password needs at least %d characters", MinPasswordLen)
	case n > MaxPasswordLen:
		return Invalid("password", "a password can be at most %d characters", MaxPasswordLen)
	case username != "" && strings.Contains(strings.ToLower(password), strings.ToLower(username)):
		return Invalid("password", "the password must not contain the username")
	case strings.TrimSpace(password) == "":
		return Invalid("password", "the password must not be only spaces")
	}
	return nil
}

package proposals

import "time"

// Invitation lets people create accounts with a given role, through a link that
// carries a secret token. The database keeps only the token's hash.
type Invitation struct {
	ID        int64
	Role      Role
	CreatedBy int64
	Note      string
	MaxUses   int // 1 for a single-use link; more for a link shared with a group
	Uses      int
	ExpiresAt time.Time
	RevokedAt *time.Time
	CreatedAt time.Time
}

// Usable reports whether the invitation can still create an account at now.
func (i Invitation) Usable(now time.Time) bool {
	return i.RevokedAt == nil && now.Before(i.ExpiresAt) && i.Uses < i.MaxUses
}

// State says in a word why an invitation can or cannot be used.
func (i Invitation) State(now time.Time) string {
	switch {
	case i.RevokedAt != nil:
		return "revoked"
	case !now.Before(i.ExpiresAt):
		return "expired"
	case i.Uses >= i.MaxUses:
		return "used up"
	default:
		return "open"
	}
}

// Limits on invitations an admin can make.
const (
	MaxInvitationUses = 1000
	MaxInvitationDays = 90
)

// InvitationRequest is what an admin asks for.
type InvitationRequest struct {
	Role      Role
	MaxUses   int
	ValidDays int
	Note      string
}

func (r InvitationRequest) check() error {
	if _, err := ParseRole(string(r.Role)); err != nil {
		return err
	}
	if r.MaxUses < 1 || r.MaxUses > MaxInvitationUses {
		return Invalid("max_uses", "an invitation can be used between 1 and %d times", MaxInvitationUses)
	}
	if r.ValidDays < 1 || r.ValidDays > MaxInvitationDays {
		return Invalid("valid_days", "an invitation can stay valid between 1 and %d days", MaxInvitationDays)
	}
	if len(r.Note) > 200 {
		return Invalid("note", "a note can be at most 200 characters")
	}
	return nil
}

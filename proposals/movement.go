package proposals

import (
	"regexp"
	"strings"
	"time"
)

// Movement is the one organisation an instance hosts. Its handle is the
// @handle others follow; it is set once, because remote servers remember it.
type Movement struct {
	Name      string
	Handle    string
	Summary   string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// KeyPair is the movement's RSA key pair, in PEM. The private key signs every
// federated request; the public key is published on the actor.
type KeyPair struct {
	PrivateKeyPEM string
	PublicKeyPEM  string
	CreatedAt     time.Time
}

var handlePattern = regexp.MustCompile(`^[a-z0-9_]{1,30}$`)

// Limits on what a movement's profile may hold, chosen so that Mastodon shows
// it without cutting (display names of 30+ chars are truncated there anyway).
const (
	MaxMovementNameLen    = 100
	MaxMovementSummaryLen = 2000
)

// NormalizeMovement trims the fields and checks them, naming the field at fault.
func NormalizeMovement(m Movement) (Movement, error) {
	var err error
	if m.Name, err = CleanText("name", m.Name, OneLine); err != nil {
		return m, err
	}
	if m.Handle, err = CleanText("handle", m.Handle, OneLine); err != nil {
		return m, err
	}
	m.Handle = strings.ToLower(strings.TrimPrefix(m.Handle, "@"))
	if m.Summary, err = CleanText("summary", m.Summary, Paragraphs); err != nil {
		return m, err
	}
	switch {
	case m.Name == "":
		return m, Invalid("name", "the movement needs a name")
	case len([]rune(m.Name)) > MaxMovementNameLen:
		return m, Invalid("name", "the name can be at most %d characters", MaxMovementNameLen)
	case !handlePattern.MatchString(m.Handle):
		return m, Invalid("handle", "a handle is 1 to 30 lowercase letters, digits or underscores")
	case len([]rune(m.Summary)) > MaxMovementSummaryLen:
		return m, Invalid("summary", "the summary can be at most %d characters", MaxMovementSummaryLen)
	}
	return m, nil
}

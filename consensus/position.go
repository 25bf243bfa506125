package consensus

import (
	"fmt"
	"strconv"
)

// Position is a member's stance on a proposal.
type Position string

// The positions a member can take, and the state of a member who has not voted.
const (
	Agree      Position = "agree"
	StandAside Position = "stand_aside"
	Disagree   Position = "disagree"
	Block      Position = "block"

	// NotVoted marks an eligible member without a position. NewTally accepts
	// it so callers can pass one entry per eligible member; ParsePosition
	// refuses it because nobody can vote "not voted".
	NotVoted Position = "not_voted"
)

// Positions lists the positions a member can take, in display order.
func Positions() []Position {
	return []Position{Agree, StandAside, Disagree, Block}
}

// ParsePosition turns untrusted text (a web form value, a JSON field) into a
// Position. Only the four exact names are accepted.
func ParsePosition(s string) (Position, error) {
	p := Position(s)
	if !p.Valid() {
		return "", invalidPositionError(s)
	}
	return p, nil
}

// Valid reports whether p is one of the four positions a member can take.
func (p Position) Valid() bool {
	switch p {
	case Agree, StandAside, Disagree, Block:
		return true
	}
	return false
}

// Label is the position in words, for sentences ("stand aside").
func (p Position) Label() string {
	switch p {
	case StandAside:
		return "stand aside"
	case NotVoted:
		return "not voted"
	}
	return string(p)
}

// UnmarshalText validates positions arriving in JSON.
func (p *Position) UnmarshalText(text []byte) error {
	parsed, err := ParsePosition(string(text))
	if err != nil {
		return err
	}
	*p = parsed
	return nil
}

func invalidPositionError(s string) error {
	return fmt.Errorf("consensus: %s is not a position (want agree, stand_aside, disagree or block)", quoteInput(s))
}

// quoteInput quotes untrusted input for an error message, cut short so a
// forged megabyte of form data does not end up in a log line.
func quoteInput(s string) string {
	const limit = 40
	if len(s) > limit {
		return strconv.Quote(s[:limit]) + "…"
	}
	return strconv.Quote(s)
}

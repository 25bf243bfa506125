package consensus

import (
	"encoding/json"
	"fmt"
)

// MaxEligible bounds the number of eligible voters (and so every count in a
// tally), keeping exact cross-multiplication inside int64.
const MaxEligible = 1_000_000_000

// Tally counts the positions taken on a proposal by its eligible voters.
// Members who have not voted are Eligible minus Cast.
type Tally struct {
	Eligible   int
	Agree      int
	StandAside int
	Disagree   int
	Block      int
}

// NewTally counts positions, one per member who voted. NotVoted entries are
// skipped, so a caller may also pass one entry per eligible member. Anything
// that is not a position is an error, as is casting more votes than there are
// eligible voters.
func NewTally(eligible int, positions []Position) (Tally, error) {
	t := Tally{Eligible: eligible}
	for i, p := range positions {
		switch p {
		case Agree:
			t.Agree++
		case StandAside:
			t.StandAside++
		case Disagree:
			t.Disagree++
		case Block:
			t.Block++
		case NotVoted:
		default:
			return Tally{}, fmt.Errorf("consensus: vote %d: %w", i, invalidPositionError(string(p)))
		}
	}
	if err := t.Validate(); err != nil {
		return Tally{}, err
	}
	return t, nil
}

// Cast is the number of votes cast, whatever the position.
func (t Tally) Cast() int { return t.Agree + t.StandAside + t.Disagree + t.Block }

// NotVoted is the number of eligible members who have not voted.
func (t Tally) NotVoted() int { return t.Eligible - t.Cast() }

// Count returns the number of votes for p (NotVoted included).
func (t Tally) Count(p Position) int {
	switch p {
	case Agree:
		return t.Agree
	case StandAside:
		return t.StandAside
	case Disagree:
		return t.Disagree
	case Block:
		return t.Block
	case NotVoted:
		return t.NotVoted()
	}
	return 0
}

// Validate checks that the counts are possible: none negative, no more votes
// cast than eligible voters, and no more voters than MaxEligible.
func (t Tally) Validate() error {
	if t.Eligible < 0 {
		return fmt.Errorf("consensus: invalid tally: %d eligible voters", t.Eligible)
	}
	if t.Eligible > MaxEligible {
		return fmt.Errorf("consensus: invalid tally: more than %d eligible voters", MaxEligible)
	}
	for _, p := range Positions() {
		n := t.Count(p)
		if n < 0 {
			return fmt.Errorf("consensus: invalid tally: %d %s votes", n, p)
		}
		if n > t.Eligible { // checked one by one first so the sum cannot overflow
			return fmt.Errorf("consensus: invalid tally: %d %s votes but only %d eligible voters", n, p, t.Eligible)
		}
	}
	if cast := t.Cast(); cast > t.Eligible {
		return fmt.Errorf("consensus: invalid tally: %d votes cast but only %d eligible voters", cast, t.Eligible)
	}
	return nil
}

// tallyJSON is the published form. Cast and not_voted are written for
// readers and checked when read back.
type tallyJSON struct {
	Eligible   int  `json:"eligible"`
	Cast       *int `json:"cast,omitempty"`
	Agree      int  `json:"agree"`
	StandAside int  `json:"stand_aside"`
	Disagree   int  `json:"disagree"`
	Block      int  `json:"block"`
	NotVoted   *int `json:"not_voted,omitempty"`
}

// MarshalJSON writes the counts keyed by position name, plus cast and
// not_voted.
func (t Tally) MarshalJSON() ([]byte, error) {
	cast, notVoted := t.Cast(), t.NotVoted()
	return json.Marshal(tallyJSON{
		Eligible: t.Eligible, Cast: &cast,
		Agree: t.Agree, StandAside: t.StandAside, Disagree: t.Disagree, Block: t.Block,
		NotVoted: &notVoted,
	})
}

// UnmarshalJSON reads the published form and refuses a tally whose counts
// are impossible or whose cast / not_voted disagree with the counts.
func (t *Tally) UnmarshalJSON(data []byte) error {
	var raw tallyJSON
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	read := Tally{Eligible: raw.Eligible, Agree: raw.Agree, StandAside: raw.StandAside, Disagree: raw.Disagree, Block: raw.Block}
	if err := read.Validate(); err != nil {
		return err
	}
	if raw.Cast != nil && *raw.Cast != read.Cast() {
		return fmt.Errorf("consensus: invalid tally: cast is %d but the positions add up to %d", *raw.Cast, read.Cast())
	}
	if raw.NotVoted != nil && *raw.NotVoted != read.NotVoted() {
		return fmt.Errorf("consensus: invalid tally: not_voted is %d but should be %d", *raw.NotVoted, read.NotVoted())
	}
	*t = read
	return nil
}

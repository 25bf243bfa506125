package consensus

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Limit caps how many blocks or stand-asides a proposal can carry: at most a
// count, at most a share of votes cast, or no limit. The zero Limit is unset
// and fails validation, so a rule read from JSON cannot silently lose a limit.
type Limit struct {
	kind  limitKind
	count int
	share Ratio
}

type limitKind uint8

const (
	limitUnset limitKind = iota
	limitUnlimited
	limitCount
	limitShare
)

// Unlimited is a limit that is always met.
func Unlimited() Limit { return Limit{kind: limitUnlimited} }

// AtMost allows up to n (AtMost(0) allows none).
func AtMost(n int) Limit { return Limit{kind: limitCount, count: n} }

// AtMostShare allows up to share × votes cast.
func AtMostShare(share Ratio) Limit { return Limit{kind: limitShare, share: share.reduced()} }

// ParseLimit reads "unlimited", a count ("0", "3") or a share of votes cast
// ("1/4", "25%", "0.25").
func ParseLimit(s string) (Limit, error) {
	text := strings.TrimSpace(s)
	if text == "unlimited" {
		return Unlimited(), nil
	}
	if isDigits(text) {
		n, err := strconv.Atoi(text)
		if err != nil || n > MaxEligible {
			return Limit{}, fmt.Errorf("consensus: limit %s: counts above %d are not supported", quoteInput(s), MaxEligible)
		}
		return AtMost(n), nil
	}
	share, err := ParseRatio(text)
	if err != nil {
		return Limit{}, fmt.Errorf("consensus: limit %s: want unlimited, a count or a share of votes cast", quoteInput(s))
	}
	return AtMostShare(share), nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// IsUnlimited reports whether the limit is always met.
func (l Limit) IsUnlimited() bool { return l.kind == limitUnlimited }

// Count returns the maximum count, if this is a count limit.
func (l Limit) Count() (int, bool) { return l.count, l.kind == limitCount }

// Share returns the maximum share of votes cast, if this is a share limit.
func (l Limit) Share() (Ratio, bool) { return l.share, l.kind == limitShare }

// String is the canonical text: "unlimited", "2" or "1/4".
func (l Limit) String() string {
	switch l.kind {
	case limitUnlimited:
		return "unlimited"
	case limitCount:
		return strconv.Itoa(l.count)
	case limitShare:
		return l.share.String()
	}
	return "unset"
}

// allows reports whether n (blocks or stand-asides) is within the limit,
// shares being taken of the votes cast.
func (l Limit) allows(n, cast int64) bool {
	switch l.kind {
	case limitUnlimited:
		return true
	case limitCount:
		return n <= int64(l.count)
	case limitShare:
		return n*l.share.Den <= l.share.Num*cast // n/cast ≤ share, without dividing
	}
	return false
}

func (l Limit) validate() error {
	switch l.kind {
	case limitUnset:
		return errors.New("missing (want unlimited, a count or a share of votes cast)")
	case limitCount:
		if l.count < 0 {
			return fmt.Errorf("%d: must not be negative", l.count)
		}
		if l.count > MaxEligible {
			return fmt.Errorf("%d: counts above %d are not supported", l.count, MaxEligible)
		}
	case limitShare:
		return l.share.validShare()
	}
	return nil
}

// MarshalJSON writes a count as a JSON number and anything else as a string:
// 0, "unlimited", "1/4".
func (l Limit) MarshalJSON() ([]byte, error) {
	if l.kind == limitCount {
		return []byte(strconv.Itoa(l.count)), nil
	}
	return json.Marshal(l.String())
}

// UnmarshalJSON accepts a JSON number (a count) or any string ParseLimit
// accepts.
func (l *Limit) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if bytes.Equal(data, []byte("null")) {
		*l = Limit{}
		return nil
	}
	var text string
	if len(data) > 0 && data[0] == '"' {
		if err := json.Unmarshal(data, &text); err != nil {
			return err
		}
	} else {
		var n int64
		if err := json.Unmarshal(data, &n); err != nil {
			return errors.New("consensus: a limit is a whole count, \"unlimited\" or a share such as \"1/4\"")
		}
		if n < 0 {
			return fmt.Errorf("consensus: limit %d: must not be negative", n)
		}
		text = strconv.FormatInt(n, 10)
	}
	parsed, err := ParseLimit(text)
	if err != nil {
		return err
	}
	*l = parsed
	return nil
}

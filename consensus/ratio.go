package consensus

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// MaxRatioTerm bounds the numerator and denominator of a Ratio. Together with
// MaxEligible it keeps every cross-multiplication (count × term) below
// 10^18, inside int64.
const MaxRatioTerm = 1_000_000_000

// Ratio is an exact fraction Num/Den, used for shares such as a quorum or a
// threshold. Shares are compared by cross-multiplying integers, never through
// floating point. Build one with ParseRatio or NewRatio, which reduce it to
// lowest terms; a literal such as Ratio{2, 3} is fine too.
type Ratio struct {
	Num int64
	Den int64
}

// NewRatio returns num/den in lowest terms.
func NewRatio(num, den int64) (Ratio, error) {
	if den <= 0 {
		return Ratio{}, fmt.Errorf("consensus: ratio %d/%d: denominator must be positive", num, den)
	}
	if num < 0 {
		return Ratio{}, fmt.Errorf("consensus: ratio %d/%d: numerator must not be negative", num, den)
	}
	r := Ratio{num, den}.reduced()
	if r.Num > MaxRatioTerm || r.Den > MaxRatioTerm {
		return Ratio{}, fmt.Errorf("consensus: ratio %d/%d: terms above %d are not supported", num, den, MaxRatioTerm)
	}
	return r, nil
}

// ParseRatio reads a share written as a fraction ("2/3"), a percentage
// ("60%", "66.67%") or a decimal ("0.6", "1"), exactly: "60%" is 3/5.
func ParseRatio(s string) (Ratio, error) {
	text := strings.TrimSpace(s)
	num, den, err := parseRatioText(text)
	if err != nil {
		return Ratio{}, fmt.Errorf("consensus: %s is not a ratio: %w", quoteInput(s), err)
	}
	exact := new(big.Rat).SetFrac(num, den) // reduces to lowest terms
	if !fitsTerm(exact.Num()) || !fitsTerm(exact.Denom()) {
		return Ratio{}, fmt.Errorf("consensus: %s is not a ratio: too precise or too large (terms up to %d)", quoteInput(s), MaxRatioTerm)
	}
	return Ratio{exact.Num().Int64(), exact.Denom().Int64()}, nil
}

func parseRatioText(text string) (num, den *big.Int, err error) {
	const maxLen = 40 // longer input cannot fit MaxRatioTerm anyway
	switch {
	case text == "":
		return nil, nil, errors.New("empty")
	case len(text) > maxLen:
		return nil, nil, errors.New("too long")
	case strings.HasSuffix(text, "%"):
		num, den, err = parseDecimal(strings.TrimSuffix(text, "%"))
		if err != nil {
			return nil, nil, err
		}
		return num, den.Mul(den, big.NewInt(100)), nil
	case strings.Contains(text, "/"):
		numText, denText, _ := strings.Cut(text, "/")
		if num, err = parseDigits(numText); err != nil {
			return nil, nil, err
		}
		if den, err = parseDigits(denText); err != nil {
			return nil, nil, err
		}
		if den.Sign() == 0 {
			return nil, nil, errors.New("denominator is zero")
		}
		return num, den, nil
	default:
		return parseDecimal(text)
	}
}

// parseDecimal reads "12" or "0.125" as an exact fraction.
func parseDecimal(text string) (num, den *big.Int, err error) {
	whole, frac, hasDot := strings.Cut(text, ".")
	if hasDot && frac == "" {
		return nil, nil, errors.New("no digits after the decimal point")
	}
	num, err = parseDigits(whole + frac)
	if err != nil || whole == "" {
		return nil, nil, errors.New("want digits such as 2/3, 60% or 0.6")
	}
	den = new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(len(frac))), nil)
	return num, den, nil
}

// parseDigits accepts only ASCII digits: no sign, no spaces, no underscores.
func parseDigits(text string) (*big.Int, error) {
	if text == "" {
		return nil, errors.New("want digits such as 2/3, 60% or 0.6")
	}
	for _, c := range text {
		if c < '0' || c > '9' {
			return nil, errors.New("want digits such as 2/3, 60% or 0.6")
		}
	}
	n, _ := new(big.Int).SetString(text, 10)
	return n, nil
}

func fitsTerm(n *big.Int) bool {
	return n.IsInt64() && n.Int64() <= MaxRatioTerm
}

// String is the canonical form, "num/den" in lowest terms ("3/5", "1/1").
func (r Ratio) String() string {
	r = r.reduced()
	return strconv.FormatInt(r.Num, 10) + "/" + strconv.FormatInt(r.Den, 10)
}

// Human is the form for sentences: a percentage when it is exact to two
// decimals ("60%", "66.67%"), otherwise a fraction ("2/3").
func (r Ratio) Human() string {
	if r.validShare() != nil {
		return r.String()
	}
	hundredths := r.Num * 10000 // of a percent; fits: Num ≤ MaxRatioTerm
	if hundredths%r.Den != 0 {
		return r.String()
	}
	hundredths /= r.Den
	whole, frac := hundredths/100, hundredths%100
	switch {
	case frac == 0:
		return fmt.Sprintf("%d%%", whole)
	case frac%10 == 0:
		return fmt.Sprintf("%d.%d%%", whole, frac/10)
	default:
		return fmt.Sprintf("%d.%02d%%", whole, frac)
	}
}

// MarshalText writes the canonical form.
func (r Ratio) MarshalText() ([]byte, error) {
	return []byte(r.String()), nil
}

// UnmarshalText accepts every form ParseRatio accepts.
func (r *Ratio) UnmarshalText(text []byte) error {
	parsed, err := ParseRatio(string(text))
	if err != nil {
		return err
	}
	*r = parsed
	return nil
}

// IsZero reports whether r is 0 (of anything).
func (r Ratio) IsZero() bool { return r.Num == 0 && r.Den > 0 }

// IsOne reports whether r is 1 (100%).
func (r Ratio) IsOne() bool { return r.Num == r.Den && r.Den > 0 }

// validShare checks that r is a well-formed share between 0 and 1 whose terms
// are small enough for overflow-free cross-multiplication.
func (r Ratio) validShare() error {
	switch {
	case r.Den == 0 && r.Num == 0:
		return errors.New("missing")
	case r.Den <= 0:
		return fmt.Errorf("%d/%d: denominator must be positive", r.Num, r.Den)
	case r.Num < 0:
		return fmt.Errorf("%d/%d: must not be negative", r.Num, r.Den)
	case r.Num > MaxRatioTerm || r.Den > MaxRatioTerm:
		return fmt.Errorf("%d/%d: terms above %d are not supported", r.Num, r.Den, MaxRatioTerm)
	case r.Num > r.Den:
		return fmt.Errorf("%s (%.4g%%) is more than 100%%", r.String(), 100*float64(r.Num)/float64(r.Den))
	}
	return nil
}

// reachedBy reports count/base ≥ r, as count·Den ≥ Num·base. Both products
// stay below 10^18 because counts are at most MaxEligible and terms at most
// MaxRatioTerm.
func (r Ratio) reachedBy(count, base int64) bool {
	return count*r.Den >= r.Num*base
}

// exceededBy reports count/base > r.
func (r Ratio) exceededBy(count, base int64) bool {
	return count*r.Den > r.Num*base
}

func (r Ratio) reduced() Ratio {
	if r.Den <= 0 || r.Num < 0 {
		return r
	}
	g := gcd(r.Num, r.Den)
	return Ratio{r.Num / g, r.Den / g}
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

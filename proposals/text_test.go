package proposals

import (
	"errors"
	"testing"
)

// CleanText is the one cleaning of typed text: what it keeps and what it
// refuses, for one-line fields and for paragraphs.
func TestCleanText(t *testing.T) {
	cases := []struct {
		in    string
		shape TextShape
		want  string // "" with ok false: refused
		ok    bool
	}{
		{"  Riverside Tenants  ", OneLine, "Riverside Tenants", true},
		{"a\r\nb\rc", Paragraphs, "a\nb\nc", true},
		{"col1\tcol2", Paragraphs, "col1\tcol2", true},
		{"שלום\u200f עולם", OneLine, "שלום\u200f עולם", true}, // right-to-left text keeps its marks
		{"👩\u200d👩\u200d👧", OneLine, "👩\u200d👩\u200d👧", true}, // emoji sequences keep their joiners
		{"two\nlines", OneLine, "", false},
		{"a\ttab", OneLine, "", false},
		{"line\u2028separator", OneLine, "", false},
		{"nul\x00", Paragraphs, "", false},
		{"bad\xffbytes", Paragraphs, "", false},
		{"escape\x1b[31m", Paragraphs, "", false},
		{"c1\u0085", Paragraphs, "", false},
		{"admin\u202eoverride", Paragraphs, "", false},
		{"isolate\u2066", OneLine, "", false},
		{"embedding\u202a", OneLine, "", false},
	}
	for _, c := range cases {
		got, err := CleanText("field", c.in, c.shape)
		if c.ok && (err != nil || got != c.want) {
			t.Errorf("CleanText(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
		if !c.ok {
			var e *Error
			if !errors.As(err, &e) || e.Field != "field" || !errors.Is(err, ErrInvalid) {
				t.Errorf("CleanText(%q) = %q, %v; want an invalid-input error naming the field", c.in, got, err)
			}
		}
	}
}

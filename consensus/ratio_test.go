package consensus

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParseRatio(t *testing.T) {
	good := []struct {
		in   string
		want Ratio
	}{
		{"2/3", Ratio{2, 3}},
		{"4/6", Ratio{2, 3}},
		{"3/4", Ratio{3, 4}},
		{"60%", Ratio{3, 5}},
		{"0.6", Ratio{3, 5}},
		{"66.67%", Ratio{6667, 10000}},
		{"12.5%", Ratio{1, 8}},
		{"1", Ratio{1, 1}},
		{"0", Ratio{0, 1}},
		{"0/7", Ratio{0, 1}},
		{"100%", Ratio{1, 1}},
		{"140%", Ratio{7, 5}}, // parses; Rule.Validate refuses it as a share
		{" 1/2 ", Ratio{1, 2}},
		{"1000000000/1000000000", Ratio{1, 1}},
		{"999999999/1000000000", Ratio{999999999, 1000000000}},
	}
	for _, g := range good {
		got, err := ParseRatio(g.in)
		if err != nil || got != g.want {
			t.Errorf("ParseRatio(%q) = %v, %v; want %v", g.in, got, err, g.want)
		}
	}
	bad := []string{
		"", " ", "%", "/", "1/", "/2", "1/0", "-1/2", "1/-2", "+1/2", "abc", "1/2/3", "0.", ".5",
		"1e-3", "0x1", "1_0", "NaN", "Inf", "50 %", "½", "1 /2", "60%%", "0.6%%",
		"1/3000000000", "0.0000000001", "1000000001", strings.Repeat("1", 100),
	}
	for _, in := range bad {
		if got, err := ParseRatio(in); err == nil {
			t.Errorf("ParseRatio(%q) = %v, want an error", in, got)
		}
	}
}

func TestRatioForms(t *testing.T) {
	cases := []struct {
		r             Ratio
		str, human    string
		isZero, isOne bool
	}{
		{Ratio{3, 5}, "3/5", "60%", false, false},
		{Ratio{6, 10}, "3/5", "60%", false, false},
		{Ratio{2, 3}, "2/3", "2/3", false, false},
		{Ratio{1, 2}, "1/2", "50%", false, false},
		{Ratio{9, 10}, "9/10", "90%", false, false},
		{Ratio{1, 8}, "1/8", "12.5%", false, false},
		{Ratio{6667, 10000}, "6667/10000", "66.67%", false, false},
		{Ratio{0, 1}, "0/1", "0%", true, false},
		{Ratio{1, 1}, "1/1", "100%", false, true},
		{Ratio{7, 5}, "7/5", "7/5", false, false},
	}
	for _, c := range cases {
		if got := c.r.String(); got != c.str {
			t.Errorf("%#v.String() = %q, want %q", c.r, got, c.str)
		}
		if got := c.r.Human(); got != c.human {
			t.Errorf("%#v.Human() = %q, want %q", c.r, got, c.human)
		}
		if c.r.IsZero() != c.isZero || c.r.IsOne() != c.isOne {
			t.Errorf("%#v: IsZero=%t IsOne=%t", c.r, c.r.IsZero(), c.r.IsOne())
		}
		// The canonical form parses back to the same value.
		back, err := ParseRatio(c.r.String())
		if err != nil || back != c.r.reduced() {
			t.Errorf("%#v: round trip gave %v, %v", c.r, back, err)
		}
	}
}

func TestNewRatio(t *testing.T) {
	if r, err := NewRatio(10, 15); err != nil || r != (Ratio{2, 3}) {
		t.Errorf("NewRatio(10, 15) = %v, %v", r, err)
	}
	for _, bad := range [][2]int64{{1, 0}, {-1, 2}, {1, -2}, {1, MaxRatioTerm + 1}} {
		if _, err := NewRatio(bad[0], bad[1]); err == nil {
			t.Errorf("NewRatio(%d, %d) should fail", bad[0], bad[1])
		}
	}
}

func TestRatioComparisonsAreExact(t *testing.T) {
	twoThirds := Ratio{2, 3}
	if !twoThirds.reachedBy(2, 3) || !twoThirds.reachedBy(200, 300) {
		t.Error("2 of 3 must reach 2/3")
	}
	if twoThirds.exceededBy(2, 3) {
		t.Error("2 of 3 must not exceed 2/3")
	}
	if twoThirds.reachedBy(666666666, 1000000000) || !twoThirds.reachedBy(666666667, 1000000000) {
		t.Error("boundary at 10^9 voters is wrong")
	}
	// Largest terms times largest counts stay exact.
	big := Ratio{MaxRatioTerm - 1, MaxRatioTerm}
	if big.reachedBy(MaxEligible-2, MaxEligible) || !big.reachedBy(MaxEligible-1, MaxEligible) {
		t.Error("boundary at the largest terms is wrong")
	}
}

func TestRatioJSON(t *testing.T) {
	var v struct {
		R Ratio `json:"r"`
	}
	if err := json.Unmarshal([]byte(`{"r":"75%"}`), &v); err != nil || v.R != (Ratio{3, 4}) {
		t.Fatalf("got %v, %v", v.R, err)
	}
	data, _ := json.Marshal(v)
	if string(data) != `{"r":"3/4"}` {
		t.Errorf("got %s", data)
	}
	if err := json.Unmarshal([]byte(`{"r":0.75}`), &v); err == nil {
		t.Error("a JSON number should be refused: floats are not exact")
	}
}

func TestParseLimit(t *testing.T) {
	good := map[string]Limit{
		"unlimited": Unlimited(),
		"0":         AtMost(0),
		"3":         AtMost(3),
		"1/4":       AtMostShare(Ratio{1, 4}),
		"25%":       AtMostShare(Ratio{1, 4}),
		"0.25":      AtMostShare(Ratio{1, 4}),
	}
	for in, want := range good {
		got, err := ParseLimit(in)
		if err != nil || got != want {
			t.Errorf("ParseLimit(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "none", "Unlimited", "99999999999", "1/0", "x%"} {
		if _, err := ParseLimit(in); err == nil {
			t.Errorf("ParseLimit(%q) should fail", in)
		}
	}
}

func TestLimitJSON(t *testing.T) {
	cases := []struct {
		limit Limit
		json  string
	}{
		{AtMost(0), `0`},
		{AtMost(2), `2`},
		{Unlimited(), `"unlimited"`},
		{AtMostShare(Ratio{2, 8}), `"1/4"`},
	}
	for _, c := range cases {
		data, err := json.Marshal(c.limit)
		if err != nil || string(data) != c.json {
			t.Errorf("marshal %v = %s, %v; want %s", c.limit, data, err, c.json)
		}
		var back Limit
		if err := json.Unmarshal(data, &back); err != nil || back != c.limit {
			t.Errorf("unmarshal %s = %v, %v", data, back, err)
		}
	}
	for _, bad := range []string{`-1`, `1.5`, `true`, `"nope"`, `{}`, `[]`, `1e3`} {
		var l Limit
		if err := json.Unmarshal([]byte(bad), &l); err == nil {
			t.Errorf("unmarshal %s should fail, got %v", bad, l)
		}
	}
}

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const matchTestInput = `[
  {"movement": "xr", "source": "https://example.org/xr", "objectives": [
    {"id": "xr-1", "text": "Tell the truth about the climate emergency."},
    {"id": "xr-2", "text": "Reduce greenhouse gas emissions to net zero by 2025."}
  ]},
  {"movement": "fridays", "objectives": [
    {"id": "ff-1", "text": "Governments must tell the truth about the climate and ecological emergency.", "note": "ignored"},
    {"id": "ff-2", "text": "Carbon neutrality by 2035."}
  ]},
  {"movement": "union", "objectives": [
    {"id": "un-1", "text": "A $15 minimum wage."}
  ]}
]`

type matchOutput struct {
	Groups []struct {
		Members []string `json:"members"`
		Score   float64  `json:"score"`
		Why     string   `json:"why"`
	} `json:"groups"`
}

func runMatch(t *testing.T, stdin string, args ...string) (matchOutput, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := matchCommand(args, strings.NewReader(stdin), &stdout, &stderr)
	var out matchOutput
	if err == nil {
		if jerr := json.Unmarshal(stdout.Bytes(), &out); jerr != nil {
			t.Fatalf("output is not JSON: %v\n%s", jerr, stdout.String())
		}
	}
	return out, stdout.String(), err
}

func writeMatchFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "objectives.json")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestMatchCommand(t *testing.T) {
	path := writeMatchFile(t, matchTestInput)
	out, raw, err := runMatch(t, "", path)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Groups) != 1 {
		t.Fatalf("groups = %+v, want one", out.Groups)
	}
	g := out.Groups[0]
	if strings.Join(g.Members, ",") != "ff-1,xr-1" || g.Score <= 0 || g.Score > 1 || !strings.Contains(g.Why, "truth") {
		t.Errorf("group = %+v", g)
	}
	if !strings.HasPrefix(raw, "{\n  \"groups\": [") {
		t.Errorf("output = %q", raw)
	}

	// Standard input, and flags after the file name.
	fromStdin, _, err := runMatch(t, matchTestInput, "-", "--threshold", "0.25")
	if err != nil {
		t.Fatal(err)
	}
	if len(fromStdin.Groups) != 1 || strings.Join(fromStdin.Groups[0].Members, ",") != "ff-1,xr-1" {
		t.Errorf("stdin: %+v", fromStdin.Groups)
	}

	// A threshold no pair reaches: an empty list, not null.
	_, raw, err = runMatch(t, "", "--threshold", "1", path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(raw, `"groups": []`) {
		t.Errorf("output = %q, want an empty groups array", raw)
	}
}

func TestMatchCommandRealStatements(t *testing.T) {
	path := filepath.Join("..", "..", "match", "testdata", "eval.json")
	out, _, err := runMatch(t, "", path)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Groups) < 10 {
		t.Errorf("%d groups from the evaluation set, want at least 10", len(out.Groups))
	}
	seen := map[string]bool{}
	for _, g := range out.Groups {
		if len(g.Members) < 2 || g.Why == "" {
			t.Errorf("group %+v", g)
		}
		for _, m := range g.Members {
			if seen[m] {
				t.Errorf("%s in two groups", m)
			}
			seen[m] = true
		}
	}
}

func TestMatchCommandErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.json")
	cases := []struct {
		name  string
		input string // file content; "" means no file is written
		args  []string
		usage bool   // a usage error (exit 2) rather than a bad input
		want  string // in the error
	}{
		{name: "no file", args: nil, usage: true, want: "missing input file"},
		{name: "two files", args: []string{"a.json", "b.json"}, usage: true, want: `unexpected argument "b.json"`},
		{name: "threshold zero", args: []string{"--threshold", "0", "-"}, usage: true, want: "--threshold 0"},
		{name: "threshold too big", args: []string{"--threshold", "1.5", "-"}, usage: true, want: "(0, 1]"},
		{name: "threshold not a number", args: []string{"--threshold", "high", "-"}, usage: true, want: "invalid value"},
		{name: "unknown flag", args: []string{"--fast", "-"}, usage: true, want: "flag provided but not defined"},
		{name: "missing file", args: []string{missing}, want: "nope.json"},
		{name: "not JSON", input: "movements: xr", want: "not valid JSON"},
		{name: "truncated", input: `[{"movement": "xr"`, want: "not valid JSON"},
		{name: "empty", input: " ", want: "empty input"},
		{name: "object", input: `{"movement": "xr"}`, want: "want a JSON array of movements, got a JSON object"},
		{name: "null", input: `null`, want: "got null"},
		{name: "objectives not an array", input: `[{"movement": "xr", "objectives": "truth"}]`, want: `"objectives" is a JSON string, want an array`},
		{name: "id not a string", input: `[{"movement": "xr", "objectives": [{"id": 7, "text": "x"}]}]`, want: `is a JSON number, want a string`},
		{name: "missing movement", input: `[{"objectives": [{"id": "a", "text": "x"}]}]`, want: `movement 1: missing "movement"`},
		{name: "missing id", input: `[{"movement": "xr", "objectives": [{"text": "x"}]}]`, want: `objective 1: missing "id"`},
		{name: "missing text", input: `[{"movement": "xr", "objectives": [{"id": "a"}]}]`, want: `objective "a": missing "text"`},
		{name: "duplicate id", input: `[{"movement": "xr", "objectives": [{"id": "a", "text": "x"}]}, {"movement": "ff", "objectives": [{"id": "a", "text": "y"}]}]`, want: `duplicate id "a" (in movements "xr" and "ff")`},
		{name: "trailing data", input: `[] []`, want: "unexpected data after the JSON array"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := c.args
			if c.input != "" {
				args = []string{writeMatchFile(t, c.input)}
			}
			_, _, err := runMatch(t, "", args...)
			if err == nil {
				t.Fatalf("no error")
			}
			if got := errors.Is(err, errUsage); got != c.usage {
				t.Errorf("usage error = %v, want %v (%v)", got, c.usage, err)
			}
			msg := err.Error()
			if errors.Is(err, errUsage) {
				msg = errors.Unwrap(err).Error()
			}
			if !strings.Contains(msg, c.want) || strings.Contains(msg, "\n") {
				t.Errorf("error = %q, want one line containing %q", msg, c.want)
			}
		})
	}
}

func TestMatchCommandHelp(t *testing.T) {
	var stdout bytes.Buffer
	err := matchCommand([]string{"--help"}, strings.NewReader(""), &stdout, &bytes.Buffer{})
	if !errors.Is(err, errHelp) {
		t.Fatalf("err = %v, want errHelp", err)
	}
	if !strings.Contains(stdout.String(), "Usage: commonground match") || !strings.Contains(stdout.String(), "-threshold") {
		t.Errorf("help = %q", stdout.String())
	}
}

func TestMatchCommandCandidates(t *testing.T) {
	path := writeMatchFile(t, `[
  {"movement": "river", "objectives": [{"id": "r1", "text": "Build 10,000 council homes by 2030"}],
   "values": [{"id": "rv", "text": "We act in solidarity with every worker"}]},
  {"movement": "forest", "objectives": [{"id": "f1", "text": "A massive programme of council house building"}, {"id": "f2", "text": "Protect old-growth forests"}],
   "values": [{"id": "fv", "text": "Solidarity between all workers"}]}
]`)
	var stdout, stderr bytes.Buffer
	if err := matchCommand([]string{"--candidates", "2", path}, nil, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	var out struct {
		Candidates map[string][]struct {
			ID     string  `json:"id"`
			Score  float64 `json:"score"`
			Why    string  `json:"why"`
			Likely bool    `json:"likely"`
		} `json:"candidates"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
	if c := out.Candidates["r1"]; len(c) == 0 || c[0].ID != "f1" || c[0].Why == "" {
		t.Errorf("r1's candidates: %+v, want f1 first", c)
	}
	for _, c := range out.Candidates["rv"] {
		if c.ID != "fv" {
			t.Errorf("the value rv has an objective among its candidates: %+v", c)
		}
	}
	if len(out.Candidates["rv"]) != 1 {
		t.Errorf("rv's candidates: %+v, want the other value", out.Candidates["rv"])
	}
}

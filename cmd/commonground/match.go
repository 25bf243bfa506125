package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/commonground/commonground/match"
	"github.com/commonground/commonground/match/embed"
)

const matchUsage = `Usage: commonground match [--threshold T] [--candidates K] FILE.json

Reads the objectives (and values) of several movements and prints the groups
of objectives, from different movements, that state the same aim. FILE is -
to read standard input. The input is a JSON array:

  [{"movement": "...", "objectives": [{"id": "...", "text": "..."}, ...],
    "values": [{"id": "...", "text": "..."}, ...]}, ...]

("values" is optional; other fields are ignored; ids must be unique across
the file). Objectives are compared with objectives, values with values, by
their words and by their meaning (sentence embeddings, computed here: a few
milliseconds a text).

The output is {"groups": [{"members": [ids], "score": 0.0, "why": "...",
"confidence": "likely"}]}: groups of two or more, each item in at most one
group. A group that is not "likely" is "possible": it shares a topic, and a
person should check that it states one aim.

With --candidates K it is, for every item, its K best candidates in other
movements, best first: {"candidates": {"ID": [{"id": "...", "score": 0.0,
"why": "...", "likely": true}]}}.

Flags:
`

// matchInput is one movement of the input file.
type matchInput struct {
	Movement   string      `json:"movement"`
	Objectives []matchText `json:"objectives"`
	Values     []matchText `json:"values"`
}

type matchText struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

// matchCommand runs "commonground match": it reads movements and their
// objectives from a file (or standard input for "-") and writes the groups
// found by match.Groups as JSON to stdout.
func matchCommand(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("commonground match", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	threshold := fs.Float64("threshold", match.GroupThreshold, "score two items need to be grouped, in (0, 1]")
	candidates := fs.Int("candidates", 0, "print each item's `K` best candidates instead of groups")
	// Flags may come before or after the file name.
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.SetOutput(stdout)
				fmt.Fprint(stdout, matchUsage)
				fs.PrintDefaults()
				return errHelp
			}
			return usageError{fmt.Errorf("match: %v (see commonground match --help)", err)}
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	switch {
	case len(files) == 0:
		return usageError{errors.New("match: missing input file (FILE.json, or - for standard input; see commonground match --help)")}
	case len(files) > 1:
		return usageError{fmt.Errorf("match: unexpected argument %q: give one input file", files[1])}
	case !(*threshold > 0 && *threshold <= 1):
		return usageError{fmt.Errorf("match: --threshold %v: want a number in (0, 1]", *threshold)}
	case *candidates < 0 || *candidates > 100:
		return usageError{fmt.Errorf("match: --candidates %d: want a number from 1 to 100", *candidates)}
	}

	name := files[0]
	var data []byte
	var err error
	if name == "-" {
		name = "standard input"
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		return fmt.Errorf("match: %v", err)
	}
	sections, err := parseMatchInput(data)
	if err != nil {
		return fmt.Errorf("match: %s: %v", name, err)
	}
	if err := embedItems(sections); err != nil {
		return fmt.Errorf("match: %v", err)
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if *candidates > 0 {
		out := map[string][]match.Candidate{}
		for _, items := range sections {
			for id, cs := range match.Candidates(items, *candidates, nil) {
				out[id] = cs
			}
		}
		return enc.Encode(struct {
			Candidates map[string][]match.Candidate `json:"candidates"`
		}{out})
	}
	groups := []match.Group{}
	for _, items := range sections {
		groups = append(groups, match.Groups(items, *threshold)...)
	}
	return enc.Encode(struct {
		Groups []match.Group `json:"groups"`
	}{groups})
}

// embedItems gives every item its sentence embedding.
func embedItems(sections [][]match.Item) error {
	var texts []string
	for _, items := range sections {
		for _, it := range items {
			texts = append(texts, it.Text)
		}
	}
	if len(texts) == 0 {
		return nil
	}
	model, err := embed.Load()
	if err != nil {
		return err
	}
	vectors := model.EmbedAll(texts)
	k := 0
	for _, items := range sections {
		for i := range items {
			items[i].Vector = vectors[k]
			k++
		}
	}
	return nil
}

// parseMatchInput reads and checks the input file: the objectives, then the
// values, of every movement.
func parseMatchInput(data []byte) ([][]match.Item, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var movements []matchInput
	if err := dec.Decode(&movements); err != nil {
		return nil, describeJSONError(err)
	}
	if movements == nil {
		return nil, errors.New("want a JSON array of movements, got null")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the JSON array")
	}
	sections := make([][]match.Item, 2)
	where := map[string]string{} // item id → its movement
	for i, m := range movements {
		if strings.TrimSpace(m.Movement) == "" {
			return nil, fmt.Errorf("movement %d: missing \"movement\" name", i+1)
		}
		for s, list := range [][]matchText{m.Objectives, m.Values} {
			kind := []string{"objective", "value"}[s]
			for k, o := range list {
				if strings.TrimSpace(o.ID) == "" {
					return nil, fmt.Errorf("movement %q, %s %d: missing \"id\"", m.Movement, kind, k+1)
				}
				if strings.TrimSpace(o.Text) == "" {
					return nil, fmt.Errorf("movement %q, %s %q: missing \"text\"", m.Movement, kind, o.ID)
				}
				if other, dup := where[o.ID]; dup {
					return nil, fmt.Errorf("duplicate id %q (in movements %q and %q)", o.ID, other, m.Movement)
				}
				where[o.ID] = m.Movement
				sections[s] = append(sections[s], match.Item{ID: o.ID, Movement: m.Movement, Text: o.Text})
			}
		}
	}
	return sections, nil
}

// describeJSONError turns a decoding error into one line a person can act on.
func describeJSONError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return errors.New("empty input: want a JSON array of movements")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("not valid JSON: unexpected end of input")
	case errors.As(err, &syntax):
		return fmt.Errorf("not valid JSON at byte %d: %v", syntax.Offset, err)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return fmt.Errorf("want a JSON array of movements, got a JSON %s", typ.Value)
		}
		return fmt.Errorf("wrong shape: %q is a JSON %s, want %s", typ.Field, typ.Value, jsonKind(typ.Type.String()))
	}
	return err
}

func jsonKind(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	case goType == "string":
		return "a string"
	case strings.HasPrefix(goType, "struct") || strings.HasPrefix(goType, "main."):
		return "an object"
	}
	return goType
}

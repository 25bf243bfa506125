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
)

const matchUsage = `Usage: commonground match [--threshold T] FILE.json

Reads the objectives of several movements and prints the groups of
objectives, from different movements, that state the same aim. FILE is - to
read standard input. The input is a JSON array:

  [{"movement": "...", "objectives": [{"id": "...", "text": "..."}, ...]}, ...]

(other fields are ignored; objective ids must be unique across the file).
The output is {"groups": [{"members": [ids], "score": 0.0, "why": "...",
"confidence": "likely"}]}: groups of two or more, each objective in at most
one group. A group scoring under 0.5 is "possible": it shares a topic, and a
person should check that it states one aim.

Flags:
`

// matchInput is one movement of the input file.
type matchInput struct {
	Movement   string `json:"movement"`
	Objectives []struct {
		ID   string `json:"id"`
		Text string `json:"text"`
	} `json:"objectives"`
}

// matchCommand runs "commonground match": it reads movements and their
// objectives from a file (or standard input for "-") and writes the groups
// found by match.Groups as JSON to stdout.
func matchCommand(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("commonground match", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	threshold := fs.Float64("threshold", match.GroupThreshold, "similarity two objectives need to be matched, in (0, 1]")
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
	objs, err := parseMatchInput(data)
	if err != nil {
		return fmt.Errorf("match: %s: %v", name, err)
	}
	groups := match.Groups(objs, *threshold)
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(struct {
		Groups []match.Group `json:"groups"`
	}{groups})
}

// parseMatchInput reads and checks the input file.
func parseMatchInput(data []byte) ([]match.Item, error) {
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
	var objs []match.Item
	where := map[string]string{} // objective id → its movement
	for i, m := range movements {
		if strings.TrimSpace(m.Movement) == "" {
			return nil, fmt.Errorf("movement %d: missing \"movement\" name", i+1)
		}
		for k, o := range m.Objectives {
			if strings.TrimSpace(o.ID) == "" {
				return nil, fmt.Errorf("movement %q, objective %d: missing \"id\"", m.Movement, k+1)
			}
			if strings.TrimSpace(o.Text) == "" {
				return nil, fmt.Errorf("movement %q, objective %q: missing \"text\"", m.Movement, o.ID)
			}
			if other, dup := where[o.ID]; dup {
				return nil, fmt.Errorf("duplicate objective id %q (in movements %q and %q)", o.ID, other, m.Movement)
			}
			where[o.ID] = m.Movement
			objs = append(objs, match.Item{ID: o.ID, Movement: m.Movement, Text: o.Text})
		}
	}
	return objs, nil
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

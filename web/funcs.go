package web

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/commonground/commonground/consensus"
	"github.com/commonground/commonground/proposals"
)

// changeSummary says in words what one change of a draft does.
func changeSummary(base proposals.Statement, c proposals.Change) string {
	target := func() string {
		if it, _, ok := base.Item(c.ItemID); ok {
			return "“" + shorten(it.Text, 80) + "”"
		}
		return "an item that no longer exists"
	}
	switch c.Kind {
	case proposals.AddItem:
		return fmt.Sprintf("Add to %s at position %s: “%s”", c.Section.Label(), positionWord(c.Position), shorten(c.Text, 120))
	case proposals.AmendItem:
		return fmt.Sprintf("Amend %s to read “%s”", target(), shorten(c.Text, 120))
	case proposals.RemoveItem:
		return "Remove " + target()
	case proposals.MoveItem:
		return fmt.Sprintf("Move %s to %s, position %s", target(), c.Section.Label(), positionWord(c.Position))
	case proposals.EditPreamble:
		return "Rewrite the preamble"
	}
	return string(c.Kind)
}

func positionWord(p int) string {
	if p >= proposals.MaxItems {
		return "last"
	}
	return strconv.Itoa(p + 1)
}

func shorten(s string, n int) string {
	r := []rune(strings.Join(strings.Fields(s), " "))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n-1]) + "…"
}

// positionHint explains a position next to its radio button.
func positionHint(p consensus.Position) string {
	switch p {
	case consensus.Agree:
		return "I support it."
	case consensus.StandAside:
		return "I cannot support it, but I will not stop the group."
	case consensus.Disagree:
		return "I am against it."
	case consensus.Block:
		return "A principled objection: it must not pass. Give your reason."
	}
	return ""
}

// dict builds a map for passing several values to a sub-template.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, errors.New("dict: odd number of arguments")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		key, ok := kv[i].(string)
		if !ok {
			return nil, errors.New("dict: keys must be strings")
		}
		m[key] = kv[i+1]
	}
	return m, nil
}

// days shows a duration as a number of days for a form field ("7", "0.5").
func days(d time.Duration) string {
	return strconv.FormatFloat(d.Hours()/24, 'f', -1, 64)
}

// presetLabel is the name people know a decision rule by.
func presetLabel(name string) string {
	for _, p := range consensus.Presets() {
		if p.Name == name {
			return p.Label
		}
	}
	return name
}

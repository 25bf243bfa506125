package alliances

import (
	"context"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/commonground/commonground/match"
	"github.com/commonground/commonground/proposals"
)

// MatchDecision is a facilitator's verdict on two objectives: the same aim
// (confirmed, or linked by hand) or not (rejected). A and B are objective
// keys, "movement|item id".
type MatchDecision struct {
	A, B      string
	Decision  string // confirmed, rejected or linked
	DecidedBy int64
	DecidedAt time.Time
}

// Source is a movement whose statement takes part in the common ground.
type Source struct {
	Key     string // the actor id, or Self
	Name    string
	Handle  string
	Link    string // where its statement can be read
	Version int
	Self    bool
}

// Wording is one movement's objective as it words it.
type Wording struct {
	Key    string // source key + "|" + item id
	Source Source
	ItemID string
	Text   string
	Link   string
}

// Cluster is a group of objectives, across movements, that state one aim.
type Cluster struct {
	Wordings  []Wording
	Score     float64
	Why       string
	Confirmed bool // a person confirmed it
	ByHand    bool // a person linked (part of) it
	// Likely: a person confirmed or linked it, or the matcher is confident
	// (match.Likely). The others are suggestions for a person to check,
	// shown apart.
	Likely   bool
	Allies   int // allies in the cluster, this movement not counted
	WithSelf bool
}

// Keys names the cluster's objectives, space-separated (as the common
// ground page sends a group it picked for a joint statement).
func (c Cluster) Keys() string {
	keys := make([]string, len(c.Wordings))
	for i, w := range c.Wordings {
		keys[i] = w.Key
	}
	return strings.Join(keys, " ")
}

// Contradiction is a red line of one movement that opposes another's objective.
type Contradiction struct {
	RedLine   Wording
	Objective Wording
	Why       string
}

// CommonGround is what the common ground page shows.
type CommonGround struct {
	Sources        []Source
	Objectives     []Wording // every objective in play, for linking by hand
	Allies         int       // followed movements with a statement
	Clusters       []Cluster
	Unique         []Wording // this movement's objectives nobody else has
	Contradictions []Contradiction
}

// statementSet is every objective and red line in play, by key.
type statementSet struct {
	sources    []Source
	objectives []Wording
	redLines   []Wording
	byKey      map[string]Wording
}

func (set *statementSet) add(src Source, st proposals.Statement, link func(itemID string) string) {
	set.sources = append(set.sources, src)
	for _, it := range st.Items {
		w := Wording{Key: src.Key + "|" + it.ID, Source: src, ItemID: it.ID, Text: it.Text, Link: link(it.ID)}
		switch it.Section {
		case proposals.Objectives:
			set.objectives = append(set.objectives, w)
		case proposals.RedLines:
			set.redLines = append(set.redLines, w)
		default:
			continue
		}
		set.byKey[w.Key] = w
	}
}

// gather collects this movement's current statement and the latest received
// statement of each movement it follows.
func (s *Service) gather(ctx context.Context, tx Tx) (statementSet, error) {
	set := statementSet{byKey: map[string]Wording{}}
	m, err := tx.Movement(ctx)
	if err != nil {
		return set, err
	}
	v, err := tx.CurrentVersion(ctx)
	if err != nil {
		return set, err
	}
	self := Source{Key: Self, Name: m.Name, Handle: m.Handle + "@" + s.cfg.Host, Link: "/statement", Version: v.Number, Self: true}
	set.add(self, v.Statement, func(id string) string { return "/statement#item-" + id })
	allies, err := tx.Allies(ctx)
	if err != nil {
		return set, err
	}
	received, err := tx.AllyStatements(ctx)
	if err != nil {
		return set, err
	}
	byActor := map[string]AllyStatement{}
	for _, r := range received {
		byActor[r.Actor] = r
	}
	for _, a := range allies {
		r, ok := byActor[a.ID]
		if !ok {
			continue
		}
		src := Source{Key: a.ID, Name: a.Label(), Handle: a.Handle, Link: r.NoteID, Version: r.Version}
		set.add(src, r.Statement, func(string) string { return firstNonEmpty(a.URL, a.ID) })
	}
	return set, nil
}

// CommonGround groups the objectives this movement shares with the movements
// it follows. The matcher suggests; people's decisions (confirm, reject, link
// by hand) win over it.
func (s *Service) CommonGround(ctx context.Context, viewer proposals.Member) (CommonGround, error) {
	if !viewer.Active() {
		return CommonGround{}, proposals.ErrForbidden
	}
	var set statementSet
	var decisions []MatchDecision
	err := s.store.ReadTx(ctx, func(tx Tx) (err error) {
		if set, err = s.gather(ctx, tx); err != nil {
			return err
		}
		decisions, err = tx.MatchDecisions(ctx)
		return err
	})
	if err != nil {
		return CommonGround{}, err
	}
	groups := applyDecisions(match.Groups(objectivesOf(set.objectives), match.Options{}), decisions, set.byKey)
	cg := CommonGround{Sources: set.sources, Objectives: set.objectives, Allies: len(set.sources) - 1}
	cg.Clusters = clustersOf(groups, set.byKey)
	inCluster := map[string]bool{}
	for _, c := range cg.Clusters {
		for _, w := range c.Wordings {
			inCluster[w.Key] = true
		}
	}
	for _, w := range set.objectives {
		if w.Source.Self && !inCluster[w.Key] {
			cg.Unique = append(cg.Unique, w)
		}
	}
	cg.Contradictions = contradictions(set)
	return cg, nil
}

// clustersOf turns groups of objective keys into clusters of wordings, in
// the order the page shows them: likely ones first, then by how many
// movements share them, ours first, then by score.
func clustersOf(groups []group, byKey map[string]Wording) []Cluster {
	var out []Cluster
	for _, g := range groups {
		c := Cluster{Score: g.Score, Why: g.Why, Confirmed: g.confirmed, ByHand: g.byHand,
			Likely: g.confirmed || g.byHand || g.Confidence == match.Likely}
		for _, key := range g.Members {
			w, ok := byKey[key]
			if !ok {
				continue
			}
			c.Wordings = append(c.Wordings, w)
			if w.Source.Self {
				c.WithSelf = true
			} else {
				c.Allies++
			}
		}
		if len(c.Wordings) >= 2 {
			// This movement's own wording first: the others are read against it.
			sort.SliceStable(c.Wordings, func(i, j int) bool { return c.Wordings[i].Source.Self && !c.Wordings[j].Source.Self })
			out = append(out, c)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Likely != b.Likely {
			return a.Likely
		}
		if len(a.Wordings) != len(b.Wordings) {
			return len(a.Wordings) > len(b.Wordings)
		}
		if a.WithSelf != b.WithSelf {
			return a.WithSelf
		}
		return a.Score > b.Score
	})
	return out
}

// Likely is the common ground a person confirmed or the matcher is
// confident of.
func (cg CommonGround) Likely() []Cluster { return cg.clusters(true) }

// Possible is the common ground the matcher suggests for a person to check.
func (cg CommonGround) Possible() []Cluster { return cg.clusters(false) }

func (cg CommonGround) clusters(likely bool) []Cluster {
	var out []Cluster
	for _, c := range cg.Clusters {
		if c.Likely == likely {
			out = append(out, c)
		}
	}
	return out
}

// OurObjectives and AllyObjectives split the objectives in play, for linking
// two by hand.
func (cg CommonGround) OurObjectives() []Wording  { return cg.objectives(true) }
func (cg CommonGround) AllyObjectives() []Wording { return cg.objectives(false) }

func (cg CommonGround) objectives(self bool) []Wording {
	var out []Wording
	for _, w := range cg.Objectives {
		if w.Source.Self == self {
			out = append(out, w)
		}
	}
	return out
}

// objectivesOf is what the matcher reads of each wording.
func objectivesOf(ws []Wording) []match.Objective {
	out := make([]match.Objective, len(ws))
	for i, w := range ws {
		out[i] = match.Objective{ID: w.Key, Movement: w.Source.Key, Text: w.Text}
	}
	return out
}

// contradictions flags red lines that oppose another movement's objective.
func contradictions(set statementSet) []Contradiction {
	var out []Contradiction
	for _, c := range match.Conflicts(objectivesOf(set.redLines), objectivesOf(set.objectives)) {
		rl, ok1 := set.byKey[c.RedLine]
		ob, ok2 := set.byKey[c.Objective]
		if ok1 && ok2 && rl.Source.Key != ob.Source.Key {
			out = append(out, Contradiction{RedLine: rl, Objective: ob, Why: c.Why})
		}
	}
	return out
}

// group is a matcher group with what people decided about it.
type group struct {
	match.Group
	confirmed, byHand bool
}

// applyDecisions makes people's decisions win: a rejected pair is split (the
// other movement's objective leaves the group), a confirmed pair marks its
// group, a link by hand joins two objectives, or their groups.
func applyDecisions(matched []match.Group, decisions []MatchDecision, known map[string]Wording) []group {
	groups := make([]group, len(matched))
	where := map[string]int{}
	for i, g := range matched {
		groups[i] = group{Group: g}
		groups[i].Members = append([]string(nil), g.Members...) // never write into the matcher's slices
		for _, m := range g.Members {
			where[m] = i
		}
	}
	for _, d := range decisions {
		if _, ok := known[d.A]; !ok {
			continue // an objective that left its statement since
		}
		if _, ok := known[d.B]; !ok {
			continue
		}
		ga, inA := where[d.A]
		gb, inB := where[d.B]
		switch d.Decision {
		case "rejected":
			if inA && inB && ga == gb {
				drop := d.B
				if strings.HasPrefix(d.B, Self+"|") {
					drop = d.A
				}
				groups[ga].Members = without(groups[ga].Members, drop)
				delete(where, drop)
			}
		case "confirmed", "linked":
			switch {
			case inA && inB && ga == gb:
			case inA && inB:
				groups[ga].Members = append(groups[ga].Members, groups[gb].Members...)
				for _, m := range groups[gb].Members {
					where[m] = ga
				}
				groups[gb].Members = nil
			case inA:
				groups[ga].Members = append(groups[ga].Members, d.B)
				where[d.B] = ga
			case inB:
				groups[gb].Members = append(groups[gb].Members, d.A)
				where[d.A] = gb
			default:
				groups = append(groups, group{Group: match.Group{Members: []string{d.A, d.B}, Score: 1, Why: "linked by hand"}})
				where[d.A], where[d.B] = len(groups)-1, len(groups)-1
			}
			g := &groups[where[d.A]]
			g.confirmed = g.confirmed || d.Decision == "confirmed"
			g.byHand = g.byHand || d.Decision == "linked"
		}
	}
	return groups
}

func without(ids []string, drop string) []string {
	out := ids[:0:0]
	for _, id := range ids {
		if id != drop {
			out = append(out, id)
		}
	}
	return out
}

// DecideMatch records a facilitator's decision about two objectives: confirm,
// reject, link (by hand) or clear (back to the matcher's suggestion).
func (s *Service) DecideMatch(ctx context.Context, actor proposals.Member, a, b, decision string) error {
	if !actor.IsFacilitator() {
		return proposals.Forbidden("only facilitators confirm or reject matches")
	}
	if a == "" || b == "" || a == b {
		return proposals.Invalid("objectives", "choose two different objectives")
	}
	switch decision {
	case "confirmed", "rejected", "linked", "clear":
	default:
		return proposals.Invalid("decision", "confirm, reject, link or clear")
	}
	return s.store.InTx(ctx, func(tx Tx) error {
		set, err := s.gather(ctx, tx)
		if err != nil {
			return err
		}
		wa, okA := set.byKey[a]
		wb, okB := set.byKey[b]
		if !okA || !okB {
			return proposals.Invalid("objectives", "one of these objectives is no longer in its statement")
		}
		if wa.Source.Key == wb.Source.Key {
			return proposals.Invalid("objectives", "both objectives belong to the same movement")
		}
		if decision == "clear" {
			return tx.DeleteMatchDecision(ctx, a, b)
		}
		return tx.SaveMatchDecision(ctx, MatchDecision{A: a, B: b, Decision: decision, DecidedBy: actor.ID, DecidedAt: s.now()})
	})
}

// DraftFromGroups starts the text of a joint statement from groups of
// common ground (each a list of objective keys): each group becomes one item
// holding every movement's wording side by side, for the facilitator to
// rewrite into one, and the allies whose wordings are there are invited.
func (s *Service) DraftFromGroups(ctx context.Context, viewer proposals.Member, groups [][]string) (JointText, []string, error) {
	if !viewer.IsFacilitator() {
		return JointText{}, nil, proposals.Forbidden("only facilitators start joint statements")
	}
	var set statementSet
	err := s.store.ReadTx(ctx, func(tx Tx) (err error) { set, err = s.gather(ctx, tx); return err })
	if err != nil {
		return JointText{}, nil, err
	}
	var text JointText
	var invited []string
	for _, keys := range groups {
		var lines []string
		for _, k := range keys {
			w, ok := set.byKey[k]
			if !ok {
				continue // an objective that left its statement since the page was shown
			}
			lines = append(lines, w.Source.Name+": "+w.Text)
			if !w.Source.Self && !slices.Contains(invited, w.Source.Key) {
				invited = append(invited, w.Source.Key)
			}
		}
		if len(lines) > 0 {
			text.Items = append(text.Items, proposals.Item{ID: proposals.NewItemID(), Section: proposals.Objectives, Text: strings.Join(lines, "\n")})
		}
	}
	return text, invited, nil
}

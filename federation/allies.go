package federation

import (
	"context"
	"encoding/json"
	"sort"
	"strings"

	"github.com/commonground/commonground/consensus"
	"github.com/commonground/commonground/federation/vocab"
	"github.com/commonground/commonground/proposals"
	"github.com/commonground/commonground/storage"
)

// selfKey stands for this movement in objective keys ("self|item id").
const selfKey = "self"

// AllyStatus says how far an alliance has come: pending (we asked), following
// (they accepted), allied (and they follow us too), or rejected.
func AllyStatus(f storage.Followed, followers map[string]string) string {
	switch {
	case f.Status != "accepted":
		return f.Status
	case followers[f.ID] == "accepted":
		return "allied"
	default:
		return "following"
	}
}

// fetchFeatured reads a newly followed actor's pinned statement: servers do not
// send history to new followers, so the current version is fetched once.
func (s *Service) fetchFeatured(ctx context.Context, remote storage.RemoteActor) {
	if remote.Featured == "" {
		return
	}
	body, err := s.fetch(ctx, remote.Featured)
	if err != nil {
		s.log.Info("federation: featured collection unavailable", "actor", remote.ID, "err", err)
		return
	}
	_, items, ids, _, err := vocab.ParseCollection(body)
	if err != nil {
		return
	}
	fetched := 0
	for i, item := range items {
		if len(item) == 0 || item[0] != '"' {
			s.keepIfStatement(ctx, remote.ID, item) // embedded
			continue
		}
		if fetched == 5 || ids[i] == "" {
			continue // a handful of pinned posts is plenty to find the statement
		}
		fetched++
		if doc, err := s.fetch(ctx, ids[i]); err == nil {
			s.keepIfStatement(ctx, remote.ID, doc)
		}
	}
}

func (s *Service) keepIfStatement(ctx context.Context, actor string, obj []byte) {
	note, err := vocab.ParseNote(obj)
	if err != nil || note.Statement == nil || note.AttributedTo != actor || !sameHost(note.ID, actor) {
		return
	}
	if err := s.keepStatement(ctx, actor, note); err != nil {
		s.log.Info("federation: keep featured statement", "actor", actor, "err", err)
	}
}

// decodeStatement reads a received statement as stored.
func decodeStatement(r storage.RemoteStatement) (vocab.StatementDoc, error) {
	var doc vocab.StatementDoc
	err := json.Unmarshal([]byte(r.Content), &doc)
	return doc, err
}

// Source is a movement whose statement takes part in the common ground.
type Source struct {
	Key     string // the actor id, or "self"
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
	// (consensus.MatchLikely). The others are suggestions for a person to
	// check, shown apart.
	Likely   bool
	Allies   int // allies in the cluster, this movement not counted
	WithSelf bool
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
func (s *Service) gather(ctx context.Context) (statementSet, []storage.MatchDecision, error) {
	set := statementSet{byKey: map[string]Wording{}}
	var decisions []storage.MatchDecision
	err := s.db.ReadTx(ctx, func(tx *storage.Tx) error {
		m, err := tx.Movement(ctx)
		if err != nil {
			return err
		}
		v, err := tx.CurrentVersion(ctx)
		if err != nil {
			return err
		}
		self := Source{Key: selfKey, Name: m.Name, Handle: m.Handle + "@" + s.cfg.BaseURL.Host, Link: "/statement", Version: v.Number, Self: true}
		set.add(self, v.Statement, func(id string) string { return "/statement#item-" + id })
		following, err := tx.Following(ctx)
		if err != nil {
			return err
		}
		received, err := tx.LatestRemoteStatements(ctx)
		if err != nil {
			return err
		}
		byActor := map[string]storage.RemoteStatement{}
		for _, r := range received {
			byActor[r.ActorID] = r
		}
		for _, f := range following {
			r, ok := byActor[f.ID]
			if !ok {
				continue
			}
			doc, err := decodeStatement(r)
			if err != nil {
				continue // a stored version this binary cannot read counts as none
			}
			src := Source{Key: f.ID, Name: firstNonEmpty(f.Name, f.Handle), Handle: f.Handle, Link: r.NoteID, Version: doc.Version}
			set.add(src, doc.Statement, func(string) string { return firstNonEmpty(f.URL, f.ID) })
		}
		decisions, err = tx.MatchDecisions(ctx)
		return err
	})
	return set, decisions, err
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// CommonGround groups the objectives this movement shares with the movements
// it follows. The matcher suggests; people's decisions (confirm, reject, link
// by hand) win over it.
func (s *Service) CommonGround(ctx context.Context, viewer proposals.Member) (CommonGround, error) {
	if !viewer.Active() {
		return CommonGround{}, proposals.ErrForbidden
	}
	set, decisions, err := s.gather(ctx)
	if err != nil {
		return CommonGround{}, err
	}
	groups := applyDecisions(consensus.Match(objectivesOf(set.objectives), consensus.MatchOptions{}), decisions, set.byKey)
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
			Likely: g.confirmed || g.byHand || g.Confidence == consensus.MatchLikely}
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

// objectivesOf is what the matcher reads of each wording.
func objectivesOf(ws []Wording) []consensus.Objective {
	out := make([]consensus.Objective, len(ws))
	for i, w := range ws {
		out[i] = consensus.Objective{ID: w.Key, Movement: w.Source.Key, Text: w.Text}
	}
	return out
}

// contradictions flags red lines that oppose another movement's objective.
func contradictions(set statementSet) []Contradiction {
	var out []Contradiction
	for _, c := range consensus.Conflicts(objectivesOf(set.redLines), objectivesOf(set.objectives)) {
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
	consensus.MatchGroup
	confirmed, byHand bool
}

// applyDecisions makes people's decisions win: a rejected pair is split (the
// other movement's objective leaves the group), a confirmed pair marks its
// group, a link by hand joins two objectives, or their groups.
func applyDecisions(matched []consensus.MatchGroup, decisions []storage.MatchDecision, known map[string]Wording) []group {
	groups := make([]group, len(matched))
	where := map[string]int{}
	for i, g := range matched {
		groups[i] = group{MatchGroup: g}
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
				if strings.HasPrefix(d.B, selfKey+"|") {
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
				groups = append(groups, group{MatchGroup: consensus.MatchGroup{Members: []string{d.A, d.B}, Score: 1, Why: "linked by hand"}})
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
	set, _, err := s.gather(ctx)
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
	return s.db.InTx(ctx, func(tx *storage.Tx) error {
		switch decision {
		case "confirmed", "rejected", "linked":
			return tx.SaveMatchDecision(ctx, storage.MatchDecision{A: a, B: b, Decision: decision, DecidedBy: actor.ID, DecidedAt: s.now()})
		case "clear":
			return tx.DeleteMatchDecision(ctx, a, b)
		}
		return proposals.Invalid("decision", "confirm, reject, link or clear")
	})
}

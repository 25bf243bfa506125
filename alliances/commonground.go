package alliances

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/commonground/commonground/match"
	"github.com/commonground/commonground/proposals"
)

// Common ground is pairwise: one of our objectives (or values) and one of an
// ally's that state the same aim. The matcher ranks the candidates; the
// facilitators of each movement confirm or reject a pair, and each decision
// is sent to the ally it concerns. A pair confirmed by both movements is
// agreed common ground; a pair either movement rejected is not suggested
// again.

// Decision is what facilitators decided about a pair.
type Decision string

const (
	Confirmed Decision = "confirmed"
	Rejected  Decision = "rejected"
	Cleared   Decision = "cleared" // back to undecided
)

// ParseDecision refuses anything but the three decisions.
func ParseDecision(s string) (Decision, error) {
	switch d := Decision(s); d {
	case Confirmed, Rejected, Cleared:
		return d, nil
	}
	return "", proposals.Invalid("decision", "confirm, reject or clear")
}

// Side says whose decision it is.
type Side string

const (
	OurSide   Side = "ours"
	TheirSide Side = "theirs"
)

// PairDecision is one movement's decision about a pair.
type PairDecision struct {
	ID        int64
	Ally      string // the ally's actor id
	OurItem   string // item id in our statement
	TheirItem string // item id in the ally's statement
	Side      Side
	Decision  Decision
	DecidedBy int64 // ours: the facilitator
	DecidedAt time.Time
	// ActivityID: theirs, the activity that carried it.
	ActivityID string
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

// Wording is one movement's objective (or value) as it words it.
type Wording struct {
	Key     string // source key + "|" + item id
	Source  Source
	ItemID  string
	Section proposals.Section
	Text    string
	Link    string
}

// Pair is one of our items and an ally's that may state the same aim, with
// what the matcher and each movement make of it.
type Pair struct {
	Ours, Theirs Wording
	Score        float64 // 0 when the matcher did not rank it (linked by hand)
	Why          string
	Likely       bool
	Our, Their   *PairDecision
}

// Agreed: both movements confirmed it.
func (p Pair) Agreed() bool { return p.decided(p.Our, Confirmed) && p.decided(p.Their, Confirmed) }

// RejectedBy names who rejected it ("" when nobody did).
func (p Pair) RejectedBy() string {
	switch {
	case p.decided(p.Our, Rejected):
		return p.Ours.Source.Name
	case p.decided(p.Their, Rejected):
		return p.Theirs.Source.Name
	}
	return ""
}

func (p Pair) decided(d *PairDecision, want Decision) bool { return d != nil && d.Decision == want }

// OursConfirmed and TheirsConfirmed say which side confirmed it.
func (p Pair) OursConfirmed() bool   { return p.decided(p.Our, Confirmed) }
func (p Pair) TheirsConfirmed() bool { return p.decided(p.Their, Confirmed) }

// AgreedGroup is one of our items and the allies' items agreed with it.
type AgreedGroup struct {
	Ours   Wording
	Theirs []Wording
}

// Keys names the group's items, space-separated (as the common ground page
// sends a group picked for a joint statement).
func (g AgreedGroup) Keys() string {
	keys := []string{g.Ours.Key}
	for _, w := range g.Theirs {
		keys = append(keys, w.Key)
	}
	return strings.Join(keys, " ")
}

// Suggestion is one of our items and its best undecided candidates.
type Suggestion struct {
	Ours       Wording
	Candidates []Pair
}

// Contradiction is a red line of one movement that opposes another's objective.
type Contradiction struct {
	RedLine   Wording
	Objective Wording
	Why       string
}

// CommonGround is what the common ground page shows.
type CommonGround struct {
	Sources []Source
	Allies  int // followed movements with a statement
	// Agreed is the common ground both sides confirmed, by our item: public.
	Agreed []AgreedGroup
	// ToConfirm are pairs an ally confirmed and we have not decided yet.
	ToConfirm []Pair
	// Suggestions are the matcher's best undecided candidates, by our item.
	Suggestions []Suggestion
	// Waiting are pairs we confirmed and the ally has not (yet).
	Waiting []Pair
	// Rejected are pairs either side rejected: not suggested again.
	Rejected []Pair
	// Unmatched are our items with no candidate and no agreement.
	Unmatched      []Wording
	Contradictions []Contradiction
	// Ours and AllyItems are every item in play, for linking two by hand.
	Ours, AllyItems []Wording
}

// ToCheck is how many decisions wait for our facilitators.
func (cg CommonGround) ToCheck() int {
	n := len(cg.ToConfirm)
	for _, s := range cg.Suggestions {
		n += len(s.Candidates)
	}
	return n
}

// Suggested is how many candidates the matcher suggests per item of ours.
const Suggested = 3

// Embedder computes sentence embeddings; the common ground is computed from
// the stored ones, never embedding on a page view.
type Embedder interface {
	// Name names the model, so that a new one does not read the old vectors.
	Name() string
	EmbedAll(texts []string) [][]float32
}

// TextHash names a text's stored embedding.
func TextHash(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:16])
}

// statementSet is every item in play, by key.
type statementSet struct {
	sources []Source
	items   []Wording // objectives and values
	// redLines and objectives, for the contradictions.
	redLines []Wording
	byKey    map[string]Wording
	allies   map[string]Ally
}

func (set *statementSet) add(src Source, st proposals.Statement, link func(itemID string) string) {
	set.sources = append(set.sources, src)
	for _, it := range st.Items {
		w := Wording{Key: src.Key + "|" + it.ID, Source: src, ItemID: it.ID, Section: it.Section, Text: it.Text, Link: link(it.ID)}
		if it.Section == proposals.RedLines {
			set.redLines = append(set.redLines, w)
		} else {
			set.items = append(set.items, w)
		}
		set.byKey[w.Key] = w
	}
}

// gather collects this movement's current statement and the latest received
// statement of each movement it follows.
func (s *Service) gather(ctx context.Context, tx Tx) (statementSet, error) {
	set := statementSet{byKey: map[string]Wording{}, allies: map[string]Ally{}}
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
		set.allies[a.ID] = a
		r, ok := byActor[a.ID]
		if !ok {
			continue
		}
		src := Source{Key: a.ID, Name: a.Label(), Handle: a.Handle, Link: r.NoteID, Version: r.Version}
		set.add(src, r.Statement, func(string) string { return firstNonEmpty(a.URL, a.ID) })
	}
	return set, nil
}

// pairKey names a pair: ally, our item, their item.
type pairKey struct{ ally, ours, theirs string }

// CommonGround is the common ground of this movement and its allies. The
// public (viewer nil) sees the agreed common ground only; members see the
// suggestions, the decisions waiting and the red lines to look at.
func (s *Service) CommonGround(ctx context.Context, viewer *proposals.Member) (CommonGround, error) {
	member := viewer != nil && viewer.Active()
	var set statementSet
	var decisions []PairDecision
	var vectors map[string][]float32
	err := s.store.ReadTx(ctx, func(tx Tx) (err error) {
		if set, err = s.gather(ctx, tx); err != nil {
			return err
		}
		if decisions, err = tx.PairDecisions(ctx); err != nil {
			return err
		}
		if !member || s.embedder == nil {
			return nil
		}
		vectors, err = tx.TextVectors(ctx, s.embedder.Name(), set.hashes())
		return err
	})
	if err != nil {
		return CommonGround{}, err
	}
	cg := CommonGround{Sources: set.sources, Allies: len(set.sources) - 1}
	pairs := set.decidedPairs(decisions)
	if member {
		set.rank(pairs, vectors)
	}
	matched := cg.sortPairs(pairs, member)
	if member {
		cg.Contradictions = set.contradictions(vectors)
		for _, w := range set.items {
			switch {
			case !w.Source.Self:
				cg.AllyItems = append(cg.AllyItems, w)
			case !matched[w.Key]:
				cg.Unmatched = append(cg.Unmatched, w)
				cg.Ours = append(cg.Ours, w)
			default:
				cg.Ours = append(cg.Ours, w)
			}
		}
	}
	return cg, nil
}

// hashes are the hashes of every text in play.
func (set statementSet) hashes() []string {
	var out []string
	for _, w := range set.byKey {
		out = append(out, TextHash(w.Text))
	}
	slices.Sort(out)
	return out
}

// decidedPairs are the pairs someone decided about, whose items are both
// still in their statements (a decision about an item since removed waits,
// unused).
func (set statementSet) decidedPairs(decisions []PairDecision) map[pairKey]*Pair {
	pairs := map[pairKey]*Pair{}
	for i := range decisions {
		d := &decisions[i]
		if d.Decision == Cleared {
			continue
		}
		ours, ok1 := set.byKey[Self+"|"+d.OurItem]
		theirs, ok2 := set.byKey[d.Ally+"|"+d.TheirItem]
		if !ok1 || !ok2 {
			continue
		}
		k := pairKey{d.Ally, d.OurItem, d.TheirItem}
		p := pairs[k]
		if p == nil {
			p = &Pair{Ours: ours, Theirs: theirs}
			pairs[k] = p
		}
		if d.Side == OurSide {
			p.Our = d
		} else {
			p.Their = d
		}
	}
	return pairs
}

// rank adds the matcher's candidates for each of our items to pairs, and
// scores the decided ones: objectives are compared with objectives, values
// with values.
func (set statementSet) rank(pairs map[pairKey]*Pair, vectors map[string][]float32) {
	for _, sec := range []proposals.Section{proposals.Objectives, proposals.Values} {
		var items []match.Item
		for _, w := range set.items {
			if w.Section == sec {
				items = append(items, match.Item{ID: w.Key, Movement: w.Source.Key, Text: w.Text, Vector: vectors[TextHash(w.Text)]})
			}
		}
		// Enough candidates that the decided pairs, which are scored but not
		// suggested again, leave Suggested undecided ones.
		ranked := match.Candidates(items, Suggested+len(pairs), func(it match.Item) bool { return it.Movement == Self })
		for ourKey, cands := range ranked {
			ours := set.byKey[ourKey]
			shown := 0
			for _, c := range cands {
				theirs := set.byKey[c.ID]
				k := pairKey{theirs.Source.Key, ours.ItemID, theirs.ItemID}
				p := pairs[k]
				if p == nil {
					if shown == Suggested {
						continue
					}
					shown++
					p = &Pair{Ours: ours, Theirs: theirs}
					pairs[k] = p
				}
				p.Score, p.Why, p.Likely = c.Score, c.Why, c.Likely
			}
		}
	}
}

// sortPairs files every pair where the page shows it.
// It returns our items that are in some pair.
func (cg *CommonGround) sortPairs(pairs map[pairKey]*Pair, member bool) map[string]bool {
	agreed := map[string]*AgreedGroup{}
	suggested := map[string]*Suggestion{}
	matched := map[string]bool{}
	for _, p := range pairs {
		matched[p.Ours.Key] = true
		switch {
		case p.Agreed():
			g := agreed[p.Ours.Key]
			if g == nil {
				g = &AgreedGroup{Ours: p.Ours}
				agreed[p.Ours.Key] = g
			}
			g.Theirs = append(g.Theirs, p.Theirs)
		case !member:
		case p.RejectedBy() != "":
			cg.Rejected = append(cg.Rejected, *p)
		case p.TheirsConfirmed():
			cg.ToConfirm = append(cg.ToConfirm, *p)
		case p.OursConfirmed():
			cg.Waiting = append(cg.Waiting, *p)
		default:
			s := suggested[p.Ours.Key]
			if s == nil {
				s = &Suggestion{Ours: p.Ours}
				suggested[p.Ours.Key] = s
			}
			s.Candidates = append(s.Candidates, *p)
		}
	}
	for _, g := range agreed {
		slices.SortFunc(g.Theirs, func(a, b Wording) int { return cmp.Compare(a.Key, b.Key) })
		cg.Agreed = append(cg.Agreed, *g)
	}
	slices.SortFunc(cg.Agreed, func(a, b AgreedGroup) int {
		return cmp.Or(-cmp.Compare(len(a.Theirs), len(b.Theirs)), cmp.Compare(a.Ours.Key, b.Ours.Key))
	})
	for _, s := range suggested {
		slices.SortFunc(s.Candidates, byScore)
		cg.Suggestions = append(cg.Suggestions, *s)
	}
	// The items with the surest candidates first: they are quickest to confirm.
	slices.SortFunc(cg.Suggestions, func(a, b Suggestion) int {
		return cmp.Or(byScore(a.Candidates[0], b.Candidates[0]), cmp.Compare(a.Ours.Key, b.Ours.Key))
	})
	for _, list := range [][]Pair{cg.ToConfirm, cg.Waiting, cg.Rejected} {
		slices.SortFunc(list, byScore)
	}
	return matched
}

func byScore(a, b Pair) int {
	return cmp.Or(-cmp.Compare(a.Score, b.Score), cmp.Compare(a.Ours.Key, b.Ours.Key), cmp.Compare(a.Theirs.Key, b.Theirs.Key))
}

// contradictions flags red lines that oppose another movement's objective.
func (set statementSet) contradictions(vectors map[string][]float32) []Contradiction {
	var redLines, objectives []match.Item
	for _, w := range set.redLines {
		redLines = append(redLines, match.Item{ID: w.Key, Movement: w.Source.Key, Text: w.Text, Vector: vectors[TextHash(w.Text)]})
	}
	for _, w := range set.items {
		if w.Section == proposals.Objectives {
			objectives = append(objectives, match.Item{ID: w.Key, Movement: w.Source.Key, Text: w.Text, Vector: vectors[TextHash(w.Text)]})
		}
	}
	var out []Contradiction
	for _, c := range match.Conflicts(redLines, objectives) {
		rl, ob := set.byKey[c.RedLine], set.byKey[c.Objective]
		if rl.Source.Self || ob.Source.Self { // ours and an ally's: the ones this movement must talk about
			out = append(out, Contradiction{RedLine: rl, Objective: ob, Why: c.Why})
		}
	}
	return out
}

// DecidePair records a facilitator's decision about one of our items and
// an ally's: confirm (the same aim), reject, or clear. The decision goes to
// the ally it concerns.
func (s *Service) DecidePair(ctx context.Context, actor proposals.Member, ourKey, theirKey string, decision Decision) error {
	if !actor.IsFacilitator() {
		return proposals.Forbidden("only facilitators confirm or reject common ground")
	}
	return s.store.InTx(ctx, func(tx Tx) error {
		set, err := s.gather(ctx, tx)
		if err != nil {
			return err
		}
		ours, ok1 := set.byKey[ourKey]
		theirs, ok2 := set.byKey[theirKey]
		switch {
		case !ok1 || !ok2:
			return proposals.Invalid("objectives", "one of these items is no longer in its statement; reload the page")
		case !ours.Source.Self || theirs.Source.Self:
			return proposals.Invalid("objectives", "choose one of our items and one of an ally's")
		case ours.Section != theirs.Section:
			return proposals.Invalid("objectives", "an objective is compared with objectives, a value with values")
		}
		id, changed, err := tx.SavePairDecision(ctx, PairDecision{Ally: theirs.Source.Key, OurItem: ours.ItemID, TheirItem: theirs.ItemID,
			Side: OurSide, Decision: decision, DecidedBy: actor.ID, DecidedAt: s.now()})
		if err != nil || !changed {
			return err
		}
		return tx.RecordEvent(ctx, proposals.EventPairDecided, id, s.now())
	})
}

// ReceivePairDecision records an ally's decision about one of its items and
// one of ours. Only movements this movement follows are heard.
func (s *Service) ReceivePairDecision(ctx context.Context, d PairDecision) error {
	if _, err := ParseDecision(string(d.Decision)); err != nil {
		return fmt.Errorf("%w", err)
	}
	d.Side = TheirSide
	return s.store.InTx(ctx, func(tx Tx) error {
		if err := s.requireFollowed(ctx, tx, d.Ally); err != nil {
			return err
		}
		_, _, err := tx.SavePairDecision(ctx, d)
		return err
	})
}

// DraftFromGroups starts the text of a joint statement from groups of
// common ground (each a list of item keys): each group becomes one item
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
		section := proposals.Objectives
		for _, k := range keys {
			w, ok := set.byKey[k]
			if !ok {
				continue // an item that left its statement since the page was shown
			}
			lines = append(lines, w.Source.Name+": "+w.Text)
			if w.Source.Self {
				section = w.Section
			}
			if !w.Source.Self && !slices.Contains(invited, w.Source.Key) {
				invited = append(invited, w.Source.Key)
			}
		}
		if len(lines) > 0 {
			text.Items = append(text.Items, proposals.Item{ID: proposals.NewItemID(), Section: section, Text: strings.Join(lines, "\n")})
		}
	}
	return text, invited, nil
}

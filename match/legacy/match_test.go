package legacy

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"testing"
)

func TestSimilarityMatches(t *testing.T) {
	cases := []struct {
		a, b string
		why  []string // words the explanation must contain
	}{
		{"Tell the truth about the climate emergency", "Governments must be honest about the climate crisis", []string{"climate-crisis", "truth"}},
		{"Ban fracking", "End fracking now", []string{"fracking"}},
		{"A $15 minimum wage", "Raise the minimum wage to $15 an hour", []string{"minimum-wage", "$15"}},
		{"Rent controls now", "Cap rents", []string{"rent"}},
		{"Healthcare for all", "Provide universal health care", []string{"health-care"}},
		{"Build more social housing", "Build council homes", []string{"social-housing"}},
		{"Cancel all student debt", "We demand full cancellation of student loans", []string{"student-debt"}},
		{"End fossil fuel subsidies", "Cease all subsidies of fossil fuels", []string{"subsidy", "fossil-fuel"}},
		{"Reduce greenhouse gas emissions to net zero by 2025", "Cut carbon emissions to net zero by 2025", []string{"net-zero", "2025"}},
		{"A citizens' assembly on the climate emergency", "Climate policy must be led by a citizens assembly", []string{"citizens-assembly"}},
		{"Eviction bans and protections", "Bring an end to all no-fault evictions", []string{"eviction"}},
		// British and American spelling.
		{"Organise a citizens' assembly on labour rights", "Organize a citizens assembly on labor rights", []string{"citizens-assembly"}},
		{"Stop the sale of public land to private developers", "Prevent governments from selling off public land", []string{"land", "public"}},
		{"Scrap Trident nuclear weapons", "Get rid of nukes: abolish nuclear weapons", []string{"nuclear-weapons"}},
		{"Introduce proportional representation", "Scrap first past the post for fair votes", []string{"proportional-representation"}},
		// The same action on the same object agrees, whatever word comes first.
		{"Support universal rent control policies", "Place a cap on private rents", []string{"rent"}},
		// A phrase holding a number, and one that starts a second hyphenated word.
		{"An end to Section 21 evictions", "Stop no-fault evictions", []string{"no-fault-eviction"}},
		{"Abolish the poverty-producing two-child limit", "The two-child limit to end", []string{"two-child-limit"}},
		// Paraphrases of one aim the word lists know.
		{"A halt to all leasing and permitting for fossil fuel extraction", "Ban all new oil and gas production", []string{"new-fossil-fuel"}},
		{"The share of seats a party wins should match its share of votes", "Proportional representation for elections", []string{"proportional-representation"}},
		{"Surveillance only with a judicial warrant", "Judges, not ministers, must authorise surveillance", []string{"judicial-warrant"}},
		// An action undone by the one before it, and protection from a harm.
		{"The government must stop approving new fossil fuel projects", "No new coal and gas projects", []string{"new-fossil-fuel"}},
		{"Protect renters from evictions without a fair reason", "Stop evictions without a good reason", []string{"eviction"}},
		// Two words written as one.
		{"Ban choke holds by the police", "Prohibit all police chokeholds", []string{"chokeholds"}},
		// "No increase" limits, as "limit" does.
		{"No increase in state surveillance without justification", "Laws must limit state surveillance to what is necessary", []string{"privacy"}},
		{"Inflation-busting pay rises for nurses", "Pay rises above inflation for nurses", []string{"health-workers"}},
		// Refusing an action that harms something protects it.
		{"No suspension of the Triple Lock on the state pension", "Protecting the Triple Lock", []string{"triple"}},
		{"No cuts to disability benefits", "Protect disability benefits", []string{"social-security"}},
		{"Stop the cuts to benefits", "Defend benefits", []string{"social-security"}},
	}
	for _, c := range cases {
		for _, pair := range [][2]string{{c.a, c.b}, {c.b, c.a}} {
			score, why := Similarity(pair[0], pair[1])
			if score < DefaultThreshold {
				t.Errorf("Similarity(%q, %q) = %.3f (%s), want ≥ %.2f", pair[0], pair[1], score, why, DefaultThreshold)
			}
			for _, w := range c.why {
				if !strings.Contains(why, w) {
					t.Errorf("Similarity(%q, %q) why = %q, want it to mention %q", pair[0], pair[1], why, w)
				}
			}
		}
	}
	if s, _ := Similarity("Free public transport for all", "Free public transport for all"); s != 1 {
		t.Errorf("identical texts: score %.3f, want 1", s)
	}
}

func TestSimilarityNonMatches(t *testing.T) {
	cases := [][2]string{
		{"Free school meals for every child", "Cancel student debt"},
		{"Tell the truth about the climate emergency", "A $15 minimum wage"},
		{"End homelessness", "End hunger"},                            // the same action on different things
		{"End the war on Black people", "Standing for peace not war"}, // one shared ordinary word
		{"Protect biodiversity", "Strengthen the right to join a union"},
		// A broad concept alone (an actor, a topic) is no common ground.
		{"Government must ensure food security", "We demand the government retrain and rehire workers"},
		{"Nuclear weapons must be abolished", "Phase out nuclear power stations"},
		// "House" in the name of a chamber is not housing.
		{"Reform the House of Lords", "Build more houses"},
		// A refused action is not the action.
		{"Stop all new oil and gas", "The ban on new oil and gas exploration licences should not go ahead"},
		{"", "Ban fracking"},
	}
	for _, c := range cases {
		if score, why := Similarity(c[0], c[1]); score >= DefaultThreshold {
			t.Errorf("Similarity(%q, %q) = %.3f (%s), want < %.2f", c[0], c[1], score, why, DefaultThreshold)
		}
	}
}

// Near misses: the same topic, but a different number, the opposite
// direction or a different action on the same thing. They score 0 and the
// explanation says which rule vetoed them.
func TestSimilarityNearMisses(t *testing.T) {
	cases := []struct {
		a, b, why string
	}{
		{"Net zero by 2030", "Net zero by 2050", "numbers differ: 2030 vs 2050"},
		{"Reduce emissions to net zero by 2025", "Carbon neutrality by 2035", "numbers differ"},
		{"A $15 minimum wage", "A $20 minimum wage", "numbers differ: $15 vs $20"},
		{"Keep warming below 1.5 °C", "Keep warming below 2 °C", "numbers differ"},
		{"Cut emissions by 50% by 2030", "Cut emissions by 70% by 2030", "numbers differ: 50% vs 70%"},
		{"End fossil fuel subsidies", "Fund fossil fuel workers", "opposite directions on fossil-fuel"},
		{"Ban fracking", "Expand fracking", "opposite directions on fracking"},
		{"Stop all new oil and gas licences", "The ban on new oil and gas licences should not go ahead", "opposite directions on new-fossil-fuel"},
		{"Phase out nuclear power", "Keep nuclear plants open", "opposite directions on nuclear-power"},
		{"Phase out all nuclear power", "An emergency moratorium on the closures of nuclear power plants", "opposite directions on nuclear-power"},
		{"No new coal mines", "Open new coal mines", "opposite directions"},
		{"Rent cancellation", "Rent controls", "different actions on rent"},
		{"An inflation-busting increase in pensions", "Increases to pensions tied to inflation", "numbers differ"},
		{"Stop the cuts to benefits", "Cut benefits", "opposite directions on social-security"},
		{"Oppose the closure of hospitals", "Close hospitals", "opposite directions on health-care"},
		{"Suspend the triple lock", "Keep the triple lock", "opposite directions on triple"},
		{"Safeguard tenants from evictions", "Expand evictions", "opposite directions on eviction"},
	}
	for _, c := range cases {
		score, why := Similarity(c.a, c.b)
		if score != 0 || !strings.Contains(why, c.why) {
			t.Errorf("Similarity(%q, %q) = %.3f, %q; want 0 and %q", c.a, c.b, score, why, c.why)
		}
	}
}

// obj is a test objective.
func obj(id, movement, text string) Objective {
	return Objective{ID: id, Movement: movement, Text: text}
}

var matchTestObjectives = []Objective{
	obj("xr-1", "xr", "Tell the truth about the climate emergency."),
	obj("xr-2", "xr", "Reduce greenhouse gas emissions to net zero by 2025."),
	obj("xr-3", "xr", "Create a citizens' assembly on climate and ecological justice."),
	obj("xr-4", "xr", "Governments must be honest about the climate crisis and communicate the danger."),
	obj("ffe-1", "fridays", "Governments must be honest about the climate crisis."),
	obj("ffe-2", "fridays", "Carbon neutrality by 2035."),
	obj("ffe-3", "fridays", "End fossil fuel subsidies."),
	obj("ffe-4", "fridays", "A citizens assembly to oversee the changes."),
	obj("union-1", "union", "Fund fossil fuel workers through the transition."),
	obj("union-2", "union", "A $15 minimum wage for all workers."),
	obj("union-3", "union", "The right to join a union."),
	obj("union-4", "union", "Speak the truth about the climate breakdown."),
	obj("leap-1", "leap", "An end to fossil fuel subsidies."),
	obj("leap-2", "leap", "Cut carbon emissions to net zero by 2050."),
	obj("ppc-1", "ppc", "A living minimum wage of at least $15 an hour."),
	obj("ppc-2", "ppc", "Guaranteed workers' rights and the right to form a union without retaliation."),
	obj("ppc-3", "ppc", "Healthcare for all."),
	obj("renters-1", "renters", "Rent controls now."),
	obj("renters-2", "renters", "Rent cancellation."),
	obj("acorn-1", "acorn", "Rent controls, freezes, and caps."),
}

func groupOf(groups []Group, id string) int {
	for i, g := range groups {
		for _, m := range g.Members {
			if m == id {
				return i
			}
		}
	}
	return -1
}

func TestMatchGroups(t *testing.T) {
	groups := Groups(matchTestObjectives, Options{})
	for _, g := range groups {
		t.Logf("%v %.3f %s", g.Members, g.Score, g.Why)
	}
	// Each objective is grouped with one of the listed ones (greedy grouping
	// decides which, when a movement has two objectives with the same aim).
	together := map[string][]string{
		"ffe-1":     {"xr-1", "xr-4", "union-4"}, // truth about the climate crisis
		"union-4":   {"xr-1", "xr-4", "ffe-1"},
		"ffe-3":     {"leap-1"},  // end fossil fuel subsidies
		"xr-3":      {"ffe-4"},   // citizens' assembly
		"union-2":   {"ppc-1"},   // $15 minimum wage
		"union-3":   {"ppc-2"},   // union rights
		"renters-1": {"acorn-1"}, // rent controls
	}
	for id, partners := range together {
		g, ok := groupOf(groups, id), false
		for _, p := range partners {
			ok = ok || g >= 0 && groupOf(groups, p) == g
		}
		if !ok {
			t.Errorf("%s is not grouped with any of %v", id, partners)
		}
	}
	apart := [][2]string{
		{"xr-2", "ffe-2"},        // 2025 vs 2035
		{"xr-2", "leap-2"},       // 2025 vs 2050
		{"ffe-3", "union-1"},     // end subsidies vs fund workers
		{"leap-1", "union-1"},    // idem
		{"renters-2", "acorn-1"}, // cancel rent vs control rent
		{"xr-1", "xr-4"},         // one movement
	}
	for _, p := range apart {
		if g := groupOf(groups, p[0]); g >= 0 && g == groupOf(groups, p[1]) {
			t.Errorf("%s and %s are in one group: %v", p[0], p[1], groups[g])
		}
	}
	checkMatchInvariants(t, matchTestObjectives, groups)
	for _, g := range groups {
		if !strings.HasPrefix(g.Why, "shared ") {
			t.Errorf("group %v: why = %q", g.Members, g.Why)
		}
	}
}

// checkMatchInvariants checks what every result of Match must satisfy.
func checkMatchInvariants(t *testing.T, objs []Objective, groups []Group) {
	t.Helper()
	movement := map[string]string{}
	for _, o := range objs {
		movement[o.ID] = o.Movement
	}
	seen := map[string]bool{}
	for i, g := range groups {
		if len(g.Members) < 2 {
			t.Errorf("group %v has fewer than 2 members", g.Members)
		}
		if g.Score <= 0 || g.Score > 1 {
			t.Errorf("group %v: score %v out of (0, 1]", g.Members, g.Score)
		}
		movements := map[string]bool{}
		for k, m := range g.Members {
			if seen[m] {
				t.Errorf("objective %s is in more than one group", m)
			}
			seen[m] = true
			if movements[movement[m]] {
				t.Errorf("group %v has two objectives of movement %s", g.Members, movement[m])
			}
			movements[movement[m]] = true
			if k > 0 && g.Members[k-1] >= m {
				t.Errorf("group %v: members not sorted", g.Members)
			}
		}
		if i > 0 {
			p := groups[i-1]
			ordered := len(p.Members) > len(g.Members) ||
				len(p.Members) == len(g.Members) && (p.Score > g.Score || p.Score == g.Score && p.Members[0] < g.Members[0])
			if !ordered {
				t.Errorf("groups %v and %v are out of order", p.Members, g.Members)
			}
		}
	}
}

func TestMatchSameMovementNeverGrouped(t *testing.T) {
	objs := []Objective{
		obj("a1", "a", "Ban fracking."),
		obj("a2", "a", "End fracking now."),
		obj("a3", "a", "No fracking anywhere."),
		obj("b1", "b", "Stop fracking."),
	}
	groups := Groups(objs, Options{})
	checkMatchInvariants(t, objs, groups)
	if len(groups) != 1 || len(groups[0].Members) != 2 || groupOf(groups, "b1") != 0 {
		t.Fatalf("groups = %v, want one pair with b1", groups)
	}
	// Only one movement: nothing to match, however alike.
	if groups := Groups(objs[:3], Options{}); len(groups) != 0 {
		t.Errorf("one movement: groups = %v", groups)
	}
}

func TestMatchDeterministic(t *testing.T) {
	want := Groups(matchTestObjectives, Options{})
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20; i++ {
		shuffled := append([]Objective(nil), matchTestObjectives...)
		r.Shuffle(len(shuffled), func(a, b int) { shuffled[a], shuffled[b] = shuffled[b], shuffled[a] })
		if got := Groups(shuffled, Options{}); !reflect.DeepEqual(got, want) {
			t.Fatalf("shuffle %d: groups differ:\n got %v\nwant %v", i, got, want)
		}
	}
	// Larger input, generated, shuffled.
	objs := matchBenchObjectives(40, 30, 3)
	want = Groups(objs, Options{})
	checkMatchInvariants(t, objs, want)
	if len(want) == 0 {
		t.Fatal("no groups in generated input")
	}
	for i := 0; i < 3; i++ {
		r.Shuffle(len(objs), func(a, b int) { objs[a], objs[b] = objs[b], objs[a] })
		if got := Groups(objs, Options{}); !reflect.DeepEqual(got, want) {
			t.Fatalf("generated input, shuffle %d: groups differ", i)
		}
	}
}

// An objective joins a group only if it matches enough of its members: a
// middle objective that matches two others does not chain them together.
func TestMatchNoChaining(t *testing.T) {
	a, b, c := "Rent controls now.", "Rent controls and an end to no-fault evictions.", "An end to no-fault evictions."
	ab, _ := Similarity(a, b)
	bc, _ := Similarity(b, c)
	ac, _ := Similarity(a, c)
	if ab < DefaultThreshold || bc < DefaultThreshold || ac >= DefaultThreshold {
		t.Fatalf("precondition: similarities %.3f %.3f %.3f", ab, bc, ac)
	}
	objs := []Objective{obj("a", "x", a), obj("b", "y", b), obj("c", "z", c)}
	groups := Groups(objs, Options{})
	checkMatchInvariants(t, objs, groups)
	if len(groups) != 1 || len(groups[0].Members) != 2 || groupOf(groups, "b") != 0 {
		t.Errorf("groups %v, want one group of two: b with a or with c", groups)
	}
}

func TestMatchOptionsAndEdgeCases(t *testing.T) {
	if g := Groups(nil, Options{}); g == nil || len(g) != 0 {
		t.Errorf("Groups(nil) = %#v, want an empty slice", g)
	}
	if g := Groups([]Objective{obj("a", "x", "Ban fracking")}, Options{}); len(g) != 0 {
		t.Errorf("one objective: %v", g)
	}
	loose := Groups(matchTestObjectives, Options{Threshold: 0.1})
	def := Groups(matchTestObjectives, Options{})
	strict := Groups(matchTestObjectives, Options{Threshold: 0.95})
	pairs := func(gs []Group) int {
		n := 0
		for _, g := range gs {
			n += len(g.Members) * (len(g.Members) - 1) / 2
		}
		return n
	}
	if !(pairs(loose) >= pairs(def) && pairs(def) > pairs(strict)) {
		t.Errorf("pairs at thresholds 0.1, default, 0.95: %d, %d, %d", pairs(loose), pairs(def), pairs(strict))
	}
	for _, g := range strict {
		if g.Score < 0.95 {
			t.Errorf("threshold 0.95: group %v scores %.3f", g.Members, g.Score)
		}
	}
	if g := Groups(matchTestObjectives, Options{Threshold: 1.5}); len(g) != 0 {
		t.Errorf("threshold above 1: %v", g)
	}
}

func TestConflicts(t *testing.T) {
	redLines := []Objective{
		obj("rl-nuclear", "greens", "We will never accept nuclear power."),
		obj("rl-oil", "climate", "No new oil and gas, ever."),
		obj("rl-strike", "union", "We will always defend the right to strike."),
	}
	objectives := []Objective{
		obj("o-expand-nuclear", "pro-nuclear", "Expand nuclear power to cut emissions."),
		obj("o-phase-out", "other", "Phase out nuclear power by 2035."),
		obj("o-insulate", "other", "Insulate every home."),
		obj("o-licences", "energy-union", "Approve new oil and gas licences to protect jobs."),
		obj("o-own-nuclear", "greens", "Build new nuclear reactors."), // the red line's own movement
		obj("o-ban-strikes", "business", "Ban strikes in public transport."),
	}
	got := Conflicts(redLines, objectives)
	want := [][2]string{{"rl-nuclear", "o-expand-nuclear"}, {"rl-oil", "o-licences"}, {"rl-strike", "o-ban-strikes"}}
	if len(got) != len(want) {
		t.Fatalf("Conflicts = %+v, want pairs %v", got, want)
	}
	for i, c := range got {
		if c.RedLine != want[i][0] || c.Objective != want[i][1] {
			t.Errorf("conflict %d = %+v, want %v", i, c, want[i])
		}
		if !strings.Contains(c.Why, "opposite directions") {
			t.Errorf("conflict %+v: why does not explain", c)
		}
	}
	if !strings.Contains(got[0].Why, "nuclear-power") || !strings.Contains(got[0].Why, "never accept") {
		t.Errorf("why = %q", got[0].Why)
	}
	if c := Conflicts(nil, objectives); c == nil || len(c) != 0 {
		t.Errorf("no red lines: %#v", c)
	}
}

// Groups that formed apart merge when their members match across them, and
// a newcomer joins a group whose members it matches on average; a veto keeps
// it out whatever the average.
func TestMatchGroupsMergeAndJoin(t *testing.T) {
	objs := []Objective{
		obj("a1", "a", "Legislation to ban zero-hour contracts."),
		obj("b1", "b", "Ban zero-hours contracts."),
		obj("c1", "c", "Abolish zero hour contracts."),
		obj("d1", "d", "Outlaw zero-hours contracts."),
		obj("e1", "e", "There must be an end to low and zero hour contracts."),
		obj("f1", "f", "Expand zero-hours contracts to give employers flexibility."),
	}
	groups := Groups(objs, Options{})
	checkMatchInvariants(t, objs, groups)
	g := groupOf(groups, "a1")
	if g < 0 {
		t.Fatalf("a1 in no group: %v", groups)
	}
	for _, id := range []string{"b1", "c1", "d1", "e1"} {
		if groupOf(groups, id) != g {
			t.Errorf("%s not with a1: %v", id, groups)
		}
	}
	if groupOf(groups, "f1") == g {
		t.Errorf("expanding zero-hours contracts joined the group that bans them: %v", groups)
	}
}

func TestMatchConfidence(t *testing.T) {
	groups := Groups([]Objective{
		obj("a-1", "a", "Rent controls now"),
		obj("b-1", "b", "Rent controls, freezes, and caps"),
		obj("a-2", "a", "Build council homes"),
		obj("b-2", "b", "A massive programme of building public and affordable housing"),
	}, Options{})
	want := map[string]Confidence{"a-1": Likely, "a-2": Possible}
	if len(groups) != 2 {
		t.Fatalf("groups %+v, want two", groups)
	}
	for id, conf := range want {
		g := groups[groupOf(groups, id)]
		if g.Confidence != conf || (g.Score >= LikelyScore) != (conf == Likely) {
			t.Errorf("group of %s: score %.3f, confidence %q; want %q", id, g.Score, g.Confidence, conf)
		}
	}
}

// A refusal after the action ("should not go ahead") gives the action the
// same frame as a refusal before it ("no ban on"); a word that a text takes
// both ways ends with no direction, whatever comes after.
func TestMatchRefusalsAndMixedDirections(t *testing.T) {
	frames := func(text string) []string {
		var out []string
		for _, o := range matchAnalyze(text).occs {
			if strings.HasPrefix(o.key, "f:") {
				out = append(out, o.key)
			}
		}
		sort.Strings(out)
		return out
	}
	before, after := frames("No ban on new oil and gas"), frames("The ban on new oil and gas should not go ahead")
	if len(before) == 0 || fmt.Sprint(before) != fmt.Sprint(after) {
		t.Errorf("frames: %v before, %v after; want the same", before, after)
	}
	for _, o := range matchDedupOccs([]matchOcc{{key: "t:river", pol: 1}, {key: "t:river", pol: -1}, {key: "t:river", pol: 1}}) {
		if o.pol != 0 {
			t.Errorf("for, against, for: direction %d, want none", o.pol)
		}
	}
}

package match

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/commonground/commonground/match/embed"
)

// The benchmarks generate movements whose objectives paraphrase a common
// vocabulary of aims, as federated movements do: each aim has several
// wordings, each wording slots that take synonyms, and objectives come with
// the boilerplate of demands ("We demand that ...") and sometimes a year.

// matchBenchAims are the aims of the synthetic movements: each is a list of
// templates; {a|b|c} picks one of the alternatives.
var matchBenchAims = [][]string{
	{"{Tell|Speak} the truth about the {climate emergency|climate crisis|climate breakdown}", "{Governments|Authorities|Politicians} must be honest about the {climate crisis|ecological emergency}", "Declare a {climate emergency|climate and ecological emergency} and communicate the danger"},
	{"Reach net zero {emissions|carbon emissions|greenhouse gas emissions} by {2030|2035|2040}", "Cut {carbon|greenhouse gas} emissions to net zero by {2030|2035|2040}", "Make the {economy|country|city} carbon neutral by {2030|2035|2040}"},
	{"{End|Stop|Scrap} fossil fuel subsidies", "No more subsidies for {oil and gas|coal, oil and gas|fossil fuels}", "Cease all public subsidies of fossil fuels"},
	{"{Halt|Stop|Ban} new oil and gas {licences|projects|drilling}", "No new {coal, oil or gas|fossil fuel} projects", "Keep fossil fuels in the ground"},
	{"{Ban|Stop|End} fracking", "No fracking {anywhere|in our communities|in the country}", "Outlaw fracking for shale gas"},
	{"{Invest in|Fund|Build} {renewable energy|clean energy|wind and solar power}", "{100%|Full} renewable {electricity|energy} for all", "Expand {community|public} {solar|wind} power"},
	{"A just transition for {workers|fossil fuel workers|coal miners}", "{Retrain|Support} workers in carbon-intensive jobs", "Guarantee {good|decent} jobs for {oil and gas|energy} workers"},
	{"{Insulate|Retrofit} every {home|house|council home}", "A national programme to {insulate|retrofit} homes", "Energy efficient housing for {all|low income families}"},
	{"Free public transport {for all|in every city}", "{Invest in|Expand|Fund} {buses|public transit|rail} and cycling", "Affordable public transport for {everyone|all communities}"},
	{"Create a citizens' assembly on {climate|the climate emergency|climate justice}", "{Decisions|Climate policy} led by a citizens' assembly", "A people's assembly to oversee the {transition|changes}"},
	{"{Rent controls|Rent caps|A rent freeze} {now|for all tenants|in every city}", "Cap rents {at inflation|for private renters}", "Freeze rents {now|for two years}"},
	{"End no-fault evictions", "{Ban|Stop} {evictions|no-fault evictions} {now|for all renters}", "Protect tenants from eviction"},
	{"Build {social housing|council homes|public housing} {now|at scale}", "{100,000|200,000|500,000} new social homes a year", "{Invest in|Fund} public housing for all"},
	{"End homelessness", "A home for every homeless person", "House all {rough sleepers|unsheltered people}"},
	{"A ${15|20} minimum wage", "Raise the minimum wage to ${15|20} an hour", "A living wage of ${15|20} for all workers"},
	{"The right to {join|form} a union", "{Protect|Strengthen} the right to organise and bargain collectively", "Union rights for all workers"},
	{"{Healthcare|Health care} for all", "Universal {health care|healthcare} free at the point of use", "{Fund|Protect} public health care"},
	{"{Cancel|Abolish} student debt", "Free {public college|university tuition} for all", "No more tuition fees"},
	{"Free school meals for every {child|pupil}", "{Universal|Free} school meals", "End school lunch debt"},
	{"{End|Stop} the need for food banks", "Guarantee the {essentials|basic needs} in {social security|universal credit}", "A social security system that covers the essentials"},
	{"{Tax|Higher taxes on} the {rich|wealthy|billionaires}", "A wealth tax on {the richest|billionaires|millionaires}", "Make corporations pay their fair share of tax"},
	{"{Cut|Reduce} military spending", "{Fund|Invest in} peace, not war", "End arms sales to {dictatorships|war zones}"},
	{"{Protect|Restore} {nature|biodiversity|wildlife}", "{Halt|Reverse} biodiversity loss by {2030|2040}", "Rewild {30%|50%} of land"},
	{"{Clean|Safe} air for every child", "{Ban|Phase out} diesel cars {in cities|by 2030}", "{Cut|Reduce} air pollution {now|in our cities}"},
	{"Food sovereignty for {farmers|peasants|communities}", "Land for those who work it", "{Support|Defend} family farms and local food"},
	{"{Voting rights|The right to vote} for all", "{End|Stop} voter suppression", "Automatic voter registration"},
	{"Justice for {indigenous peoples|First Nations}", "Respect indigenous land rights", "Implement the UN Declaration on the Rights of Indigenous Peoples"},
	{"{Reparations|Redress} for {slavery|colonialism}", "Repair historic injustice through reparations", "A reparations commission"},
	{"A path to citizenship for {migrants|undocumented workers}", "{End|Stop} immigration detention", "Safe routes for refugees"},
	{"{Ban|Never accept} nuclear power", "{Phase out|Close} nuclear power {plants|stations}", "No new nuclear reactors"},
	{"A four-day working week {with no loss of pay|for all workers}", "{Cut|Reduce} the working week to 32 hours", "Shorter working hours with the same pay"},
	{"Paid sick leave for {all workers|every worker}", "{Guarantee|Protect} sick pay from day one", "No worker forced to work while sick"},
	{"{Equal pay|Pay equality} for women", "Close the gender pay gap", "Equal pay for work of equal value"},
	{"{Free|Universal|Affordable} childcare for every family", "{Fund|Expand} public childcare", "Childcare as a public service"},
	{"{Ban|End} zero-hours contracts", "Secure contracts for all workers", "An end to insecure work"},
	{"{Scrap|Abolish} the two-child limit", "{End|Stop} benefit sanctions", "Remove the benefit cap"},
	{"{Protect|Defend} the right to protest", "{Repeal|Scrap} anti-protest laws", "Freedom to protest without arrest"},
	{"{End|Stop} police violence", "{Defund|Divest from} the police and invest in communities", "Community control over policing"},
	{"{Close|Abolish} immigration detention centres", "End deportations", "No one is illegal"},
	{"{Public|Community} ownership of energy", "{Nationalise|Bring into public ownership} the energy companies", "Energy democracy for every community"},
	{"{Public|Common} ownership of {water|the railways|the post}", "{Renationalise|Nationalise} {water|rail|mail} services", "Take {water|rail} back into public hands"},
	{"{Protect|Save} our {NHS|public hospitals}", "{Stop|End} privatisation of {health care|the NHS}", "Keep {health care|hospitals} public"},
	{"{Fund|Properly fund} mental health services", "Mental health care for everyone who needs it", "{Cut|End} waiting lists for mental health care"},
	{"{Cancel|Write off} medical debt", "No one bankrupted by medical bills", "{End|Abolish} medical debt"},
	{"Affordable {prescription drugs|medicines} for all", "{Cap|Limit} the price of {insulin|medicines}", "Free prescriptions"},
	{"{Ban|End} single-use plastics", "{Cut|Reduce} plastic pollution", "Make producers pay for plastic waste"},
	{"{Protect|Save} {the oceans|our seas|marine life}", "{Ban|End} bottom trawling", "Protect {30%|50%} of the oceans by {2030|2040}"},
	{"{Stop|Halt|End} deforestation", "{Protect|Defend} {the rainforest|ancient woodland|forests}", "Zero deforestation in supply chains by {2025|2030}"},
	{"{Ban|Phase out} {pesticides|glyphosate}", "{Support|Fund} organic farming", "Agroecology instead of chemical farming"},
	{"{Fair|Decent} prices for farmers", "{End|Stop} supermarket price gouging", "A fair deal for small farmers"},
	{"{Free|Fast} broadband for every home", "Close the digital divide", "Internet access as a public utility"},
	{"{Defend|Protect} abortion rights", "{Free|Safe} and legal abortion", "Reproductive freedom for all"},
	{"{End|Stop} violence against women", "{Fund|Protect} women's refuges", "Justice for survivors of domestic abuse"},
	{"{Equal rights|Full equality} for LGBTQ people", "{Ban|End} conversion therapy", "Protect trans people from discrimination"},
	{"{Accessible|Step-free} public transport for disabled people", "{Restore|Protect} disability benefits", "Nothing about us without us"},
	{"{Ban|Stop} arms sales to {Israel|Saudi Arabia|war zones}", "An immediate ceasefire", "{Peace|A just peace} in the Middle East"},
	{"{Scrap|Abolish} nuclear weapons", "{Cancel|Stop} Trident renewal", "A world free of nuclear weapons"},
	{"{Cancel|Write off} the debt of the Global South", "Debt justice for poorer countries", "{End|Stop} predatory lending to poor nations"},
	{"Climate finance for the Global South", "Rich countries must pay for loss and damage", "A loss and damage fund {now|for frontline nations}"},
}

var matchBenchFillers = []string{"", "", "We demand that we ", "The government must ", "Our movement calls for: ", "We will fight to ", "It is time to "}

var matchBenchTails = []string{"", "", "", ".", " now.", " for everyone.", " in our lifetime.", " without delay."}

// matchBenchExpand fills {a|b} alternatives at random.
func matchBenchExpand(r *rand.Rand, t string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(t, '{')
		if i < 0 {
			b.WriteString(t)
			return b.String()
		}
		j := strings.IndexByte(t[i:], '}') + i
		b.WriteString(t[:i])
		alts := strings.Split(t[i+1:j], "|")
		b.WriteString(alts[r.IntN(len(alts))])
		t = t[j+1:]
	}
}

// matchBenchLocal are words for the objectives a movement shares with no one.
var matchBenchLocal = strings.Fields(`library garden clinic school market bridge river park festival
	museum theatre orchard allotment harbour quarry mill chapel canal tram ferry bakery workshop
	laundry pantry choir archive mural forest meadow wetland estuary`)

var matchBenchPlaceA = strings.Fields(`North South East West Ash Oak Elm Birch Stone Mill Bridge Kings Queens
	Fair Green Red White Black Long High Low Old New Marsh Brook Wood Field Hill Dale Moor`)

var matchBenchPlaceB = strings.Fields(`ton ham field ford bury wick worth stead ley by thorpe mouth minster
	caster bridge port gate dale wood moor`)

// matchBenchObjectives generates movements × perMovement objectives: about
// four in five state one of the shared aims (popular aims more often, as a
// few causes are everybody's), the others are local and shared with no one.
func matchBenchObjectives(movements, perMovement int, seed uint64) []Item {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := make([]Item, 0, movements*perMovement)
	weights := make([]float64, len(matchBenchAims))
	for k := range weights {
		weights[k] = 1 / math.Sqrt(float64(k+1))
	}
	for m := 0; m < movements; m++ {
		shared := min(perMovement*4/5, len(matchBenchAims))
		aims := matchBenchPick(r, weights, shared)
		for k := 0; k < perMovement; k++ {
			var text string
			if k < len(aims) {
				tpl := matchBenchAims[aims[k]]
				text = matchBenchExpand(r, tpl[r.IntN(len(tpl))])
			} else {
				w := func() string { return matchBenchLocal[r.IntN(len(matchBenchLocal))] }
				// A local place: one of 30 × 20 invented names.
				place := matchBenchPlaceA[r.IntN(len(matchBenchPlaceA))] + matchBenchPlaceB[r.IntN(len(matchBenchPlaceB))]
				text = fmt.Sprintf("Save the %s and the %s of %s", w(), w(), place)
			}
			filler := matchBenchFillers[r.IntN(len(matchBenchFillers))]
			if strings.HasSuffix(filler, "we ") || strings.HasSuffix(filler, "to ") || strings.HasSuffix(filler, "must ") {
				text = filler + strings.ToLower(text[:1]) + text[1:]
			} else {
				text = filler + text
			}
			text += matchBenchTails[r.IntN(len(matchBenchTails))]
			out = append(out, Item{
				ID:       "m" + strconv.Itoa(m) + "-o" + strconv.Itoa(k),
				Movement: "movement-" + strconv.Itoa(m),
				Text:     text,
			})
		}
	}
	return out
}

// matchBenchPick draws n distinct indexes, each with probability
// proportional to its weight.
func matchBenchPick(r *rand.Rand, weights []float64, n int) []int {
	left := slices.Clone(weights)
	var out []int
	for len(out) < n {
		total := 0.0
		for _, w := range left {
			total += w
		}
		x := r.Float64() * total
		for k, w := range left {
			x -= w
			if x < 0 || k == len(left)-1 && w > 0 {
				out = append(out, k)
				left[k] = 0
				break
			}
		}
	}
	return out
}

// withVectors gives the items their embeddings, as a database would hold
// them: computed once (and cached between runs in the user's cache
// directory, since 30,000 texts take a minute or two), not timed.
func withVectors(b *testing.B, items []Item) []Item {
	var unique []string
	seen := map[string]bool{}
	for _, it := range items {
		if !seen[it.Text] {
			seen[it.Text] = true
			unique = append(unique, it.Text)
		}
	}
	slices.Sort(unique)
	sum := sha256.Sum256([]byte(strings.Join(unique, "\n") + embed.Name))
	dir, _ := os.UserCacheDir()
	cache := filepath.Join(dir, "commonground-bench", fmt.Sprintf("vectors-%x.bin", sum[:8]))
	vectors := map[string][]float32{}
	if raw, err := os.ReadFile(cache); err == nil && len(raw) == 4*embed.Dim*len(unique) {
		for k, text := range unique {
			v := make([]float32, embed.Dim)
			for d := range v {
				v[d] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*(k*embed.Dim+d):]))
			}
			vectors[text] = v
		}
	} else {
		m, err := embed.Load()
		if err != nil {
			b.Fatal(err)
		}
		vs := m.EmbedAll(unique)
		raw := make([]byte, 0, 4*embed.Dim*len(unique))
		for k, text := range unique {
			vectors[text] = vs[k]
			for _, x := range vs[k] {
				raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(x))
			}
		}
		os.MkdirAll(filepath.Dir(cache), 0o755)
		os.WriteFile(cache, raw, 0o644)
	}
	for i := range items {
		items[i].Vector = vectors[items[i].Text]
	}
	return items
}

// peakRSS is the peak resident set size of the process (VmHWM), in MB, or
// 0 where /proc is not available.
func peakRSS() float64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			if err == nil {
				return kb / 1024
			}
		}
	}
	return 0
}

func benchmarkMatch(b *testing.B, movements, perMovement int, run func(items []Item) int, unit string) {
	items := withVectors(b, matchBenchObjectives(movements, perMovement, 7))
	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for range b.N {
		n = run(items)
	}
	b.StopTimer()
	b.ReportMetric(float64(n), unit)
	b.ReportMetric(peakRSS(), "MB-peak-rss")
}

func groupsOf(items []Item) int { return len(Groups(items, 0)) }

func candidatesOf(items []Item) int {
	n := 0
	for _, cs := range Candidates(items, 5, nil) {
		n += len(cs)
	}
	return n
}

// BenchmarkGroups1000x30 and BenchmarkCandidates1000x30 are the scale
// target: 1,000 movements with 30 objectives each (30,000 objectives),
// embeddings given.
func BenchmarkGroups1000x30(b *testing.B) { benchmarkMatch(b, 1000, 30, groupsOf, "groups") }
func BenchmarkCandidates1000x30(b *testing.B) {
	benchmarkMatch(b, 1000, 30, candidatesOf, "candidates")
}

// BenchmarkCandidates7x30 is a common ground page: a movement and six
// allies, recomputed at each view.
func BenchmarkCandidates7x30(b *testing.B) { benchmarkMatch(b, 7, 30, candidatesOf, "candidates") }

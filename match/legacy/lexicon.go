package legacy

import (
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// This file holds the hand-written word lists of the objective matcher. They
// are plain data, meant to be read and extended by people: everything the
// matcher knows about English and about the aims of movements is here.

// matchStopWords carry no aim: function words and the boilerplate every
// demand shares ("we demand", "must", "ensure"). Compared as written (lower
// case), before stemming. Negators and direction words are not listed here:
// they are in matchNegators, matchNegativeWords and matchPositiveWords.
var matchStopWords = matchWordSet(`
a about above across after again all almost along already also although always am among an and
any anyone anything are around as at be because been before being below between both but by
can cannot could did do does doing done down during each either else enough especially etc even
ever every everyone everything everywhere few for from further get gets getting give given gives
go goes going had has have having he her here hers him his how however i if in into is it its
itself just least less let lets like made make makes making many may me might mine more most
much must my need needed needs now of off often on once one only onto or other others otherwise
our ours ourselves out over own per put quite rather really same shall she should since so some
such than that the their theirs them themselves then there these they this those though through
thus to too toward towards under until up upon us very via was we were what whatever when
whenever where wherever whether which while who whom whose why will with within would yet you
your yours
demand demands demanding demanded call calls calling called want wants wanted ensure ensures
ensuring ensured sure begin begins beginning start starting starts immediately immediate urgently
now together commit commits committed commitment including include includes included based
fully truly actually currently way ways thing things use using used able possible necessary help
helps take takes taking bring brings bringing seek seeks seeking ask asks asking urge urges
achieve achieving achieved meet meeting deliver delivering provide provides providing provided
guarantee guarantees guaranteeing guaranteed secure secures securing ensure implement implementing
implemented enact enacting enacted establish establishes establishing pursue pursues pursuing
also well whole part alongside
`)

// matchGlueWords are skipped when multi-word concepts are recognised, so that
// "tell the truth" matches the concept written "tell truth" and "citizens'
// assembly" matches "citizens assembly".
var matchGlueWords = matchWordSet(`a an the of to for on in and with by from at as about our their its`)

// matchWeakWords are content words so general that sharing them says little
// ("new", "people", "system"); they count with a low weight.
var matchWeakWords = matchWordSet(`
new public people peoples person persons everyone community communities right rights system systems
policy policies program programs programme programmes level levels plan plans access free full
good high quality economy economic society world global national future change changes action
actions country countries nation nations law laws security strong basic life fair local
group groups form forms kind range process practice measure measures need needs
standard standards future sector sectors area areas issue issues year years time times
institution institutions order term terms day days power control controls protection protections
freedom freedoms maximum minimum legally binding
real genuine genuinely proper properly decent adequate adequately permanent permanently significant
significantly major massive mass huge simple simply clear clearly effective effectively robust
meaningful comprehensive nobody everybody anyone anybody someone somebody whole entire current
currently existing additional further across board timetable timetables timeline timelines roadmap
`)

// matchWeakWeight is the weight of a weak word; matchConceptWordWeight the
// weight of a word that also counts as a concept (the concept carries the
// meaning, the word adds a little for the exact wording).
const (
	matchWeakWeight        = 0.35
	matchTermWeight        = 1
	matchConceptWordWeight = 0.6
	matchPlaceWeight       = 0.3
)

// matchConcept is a group of words and phrases that name the same thing.
type matchConcept struct {
	name    string
	parents []string // broader concepts also counted when this one is found
	weight  float32  // 0 means 1
	phrases []string // each phrase: words separated by spaces
}

// matchConcepts is the synonym table. A phrase of several words is
// recognised in order, skipping glue words; a one-word entry is recognised on
// its own. Entries are written as plain words; they are stemmed when the
// table is loaded, so "emission" also covers "emissions".
var matchConcepts = []matchConcept{
	{name: "emergency", weight: 0.5, phrases: []string{"emergency", "crisis", "danger", "dangers", "urgency", "catastrophe", "peril"}},
	{name: "climate-crisis", parents: []string{"emergency"}, phrases: []string{
		"climate crisis", "climate emergency", "climate breakdown", "climate change", "climate chaos",
		"climate catastrophe", "climate disaster", "climate collapse", "global warming", "global heating",
		"ecological emergency", "ecological crisis", "climate and ecological emergency", "climate and nature crisis",
	}},
	{name: "truth", phrases: []string{"truth", "truthful", "honest", "honesty", "tell truth", "come clean"}},
	{name: "emissions", phrases: []string{
		"emission", "emissions", "carbon", "greenhouse gas", "greenhouse gases", "co2", "carbon dioxide",
		"ghg", "methane", "carbon pollution",
	}},
	{name: "net-zero", parents: []string{"emissions"}, phrases: []string{
		"net zero", "netzero", "carbon neutral", "carbon neutrality", "climate neutral", "climate neutrality",
		"zero carbon", "zero emission", "zero emissions", "decarbonise", "decarbonize", "decarbonisation",
		"decarbonization", "post carbon", "carbon free", "fossil free",
	}},
	{name: "fossil-fuel", phrases: []string{
		"fossil fuel", "fossil fuels", "fossil", "oil", "gas", "coal", "petroleum", "oil and gas", "natural gas",
		"dirty energy", "tar sands", "oil sands", "diesel", "petrol", "pipeline", "pipelines", "north sea oil",
	}},
	{name: "new-fossil-fuel", parents: []string{"fossil-fuel"}, phrases: []string{
		"new fossil fuel", "new fossil fuels", "new oil", "new gas", "new coal", "new oil and gas", "new oil gas",
		"new fossil fuel projects", "new fossil fuel infrastructure", "fossil fuel expansion", "new pipelines",
		"new coal mines", "new drilling", "new licences", "new licenses", "new oil and gas licences",
		"new oil and gas licenses", "leasing and permitting", "new leases", "new permits", "new fossil fuel extraction",
	}},
	{name: "fracking", parents: []string{"fossil-fuel"}, phrases: []string{"fracking", "fracked gas", "shale gas", "hydraulic fracturing"}},
	{name: "renewable-energy", phrases: []string{
		"renewable", "renewables", "renewable energy", "renewable energies", "clean energy", "green energy",
		"clean power", "solar", "solar power", "wind power", "wind energy", "wind turbine", "wind turbines",
		"wind farm", "wind farms", "geothermal", "tidal power",
	}},
	{name: "electricity", phrases: []string{"electricity", "electric power", "power demand", "power supply", "power grid", "power grids", "grid"}},
	{name: "extraction", phrases: []string{"extraction", "extract", "extracting", "exploration", "drilling", "drill", "mining", "mines"}},
	{name: "infrastructure", phrases: []string{"infrastructure", "public works", "roads", "bridges", "utilities"}},
	{name: "intimidation", phrases: []string{"intimidation", "coercion", "harassment", "retaliation", "victimisation", "victimization", "union busting"}},
	{name: "nuclear-power", phrases: []string{
		"nuclear", "nuclear power", "nuclear energy", "nuclear plant", "nuclear plants", "nuclear power plant",
		"nuclear power station", "reactor", "reactors", "pronuclear",
	}},
	{name: "government", weight: 0.5, phrases: []string{
		"government", "governments", "authorities", "politicians", "ministers", "minister", "parliament",
		"congress", "lawmakers", "legislators", "leaders", "political leaders", "policymakers", "policy makers",
		"federal government", "state government", "the state", "house of commons", "house of representatives",
	}},
	{name: "citizens-assembly", parents: []string{"democracy"}, phrases: []string{
		"citizens assembly", "citizen assembly", "citizens assemblies", "peoples assembly", "sortition",
		"deliberative democracy",
	}},
	{name: "democracy", phrases: []string{"democracy", "democratic", "democratically", "participation", "participatory"}},
	{name: "justice", phrases: []string{"justice", "equity", "equitable", "injustice", "injustices", "fairness"}},
	{name: "climate-justice", parents: []string{"justice"}, phrases: []string{"climate justice"}},
	{name: "environmental-justice", parents: []string{"justice"}, phrases: []string{"environmental justice", "environmental injustice"}},
	{name: "just-transition", phrases: []string{"just transition", "fair transition", "fair and just transition", "justice based transition"}},
	{name: "housing", phrases: []string{
		"housing", "home", "homes", "house", "houses", "shelter", "accommodation", "dwelling", "dwellings",
		"flats", "apartments", "building", "buildings",
	}},
	{name: "social-housing", parents: []string{"housing"}, phrases: []string{
		"social housing", "public housing", "council housing", "council homes", "social homes",
		"public homes", "housing cooperatives", "community land trust", "community land trusts",
	}},
	{name: "right-to-housing", parents: []string{"housing"}, phrases: []string{
		"right to housing", "right to home", "right to adequate housing", "right to decent home", "housing is human right",
		"home is human right", "housing is right", "housing as human right", "homes as human right", "housing guarantee",
		"homes guarantee", "home is basic human right", "housing is basic human right",
	}},
	{name: "homelessness", phrases: []string{"homeless", "homelessness", "unsheltered", "rough sleeping", "houseless"}},
	{name: "rent", phrases: []string{"rent", "rents", "rent levels", "rent increases", "rent rises", "rent hikes"}},
	{name: "tenants", phrases: []string{"tenant", "tenants", "tenancy", "tenancies", "renter", "renters", "lease", "leases", "private renters"}},
	{name: "tenant-union", parents: []string{"tenants"}, phrases: []string{"tenant union", "tenant unions", "tenants union", "tenants unions", "renters union", "renters unions", "tenant associations", "tenants associations", "tenant organizing", "tenant organising"}},
	{name: "landlords", phrases: []string{"landlord", "landlords", "letting agents", "letting agent", "property owners"}},
	{name: "short-term-rentals", phrases: []string{"short term rentals", "short term lets", "holiday lets", "airbnb", "airbnbs", "vacation rentals"}},
	{name: "eviction", phrases: []string{"eviction", "evictions", "evict", "evicted", "evicting"}},
	{name: "no-fault-eviction", parents: []string{"eviction"}, phrases: []string{"no fault eviction", "no fault evictions", "section 21", "section 21 evictions", "section 21 eviction", "section 21 notices"}},
	{name: "wage", phrases: []string{"wage", "wages", "salary", "salaries", "earnings", "paycheck", "paychecks"}},
	{name: "minimum-wage", parents: []string{"wage"}, phrases: []string{"minimum wage", "minimum wages", "living wage", "living wages", "wage floor", "minimum hourly rate"}},
	{name: "income", phrases: []string{"income", "incomes", "basic income", "guaranteed income", "livable income", "liveable income"}},
	{name: "workers", phrases: []string{
		"worker", "workers", "labour", "labor", "employee", "employees", "workforce", "working people",
		"working class", "miners",
	}},
	{name: "union", phrases: []string{
		"union", "unions", "unionize", "unionise", "unionized", "unionised", "unionization", "unionisation",
		"trade union", "trade unions", "labor union", "labor unions", "collective bargaining", "collectively bargain",
		"organize union", "negotiate together", "negotiate collectively", "bargain collectively", "collective agreement",
	}},
	{name: "strike", phrases: []string{"strike", "strikes", "right to strike", "industrial action", "walkout", "walkouts", "general strike"}},
	{name: "jobs", phrases: []string{"job", "jobs", "employment", "jobs guarantee", "job guarantee"}},
	{name: "pensions", phrases: []string{"pension", "pensions", "retirement", "retirement security", "seniors", "old age", "elderly"}},
	{name: "health-care", phrases: []string{
		"health", "healthcare", "health care", "medical", "medicare", "medicaid", "nhs", "hospital", "hospitals",
		"universal health care", "medical care",
	}},
	{name: "education", phrases: []string{
		"education", "school", "schools", "college", "colleges", "university", "universities", "tuition",
		"higher education", "public education", "students", "student",
	}},
	{name: "debt", phrases: []string{"debt", "debts", "loan", "loans", "indebtedness"}},
	{name: "student-debt", parents: []string{"debt", "education"}, phrases: []string{"student debt", "student loans", "student loan", "tuition debt"}},
	{name: "medical-debt", parents: []string{"debt", "health-care"}, phrases: []string{"medical debt", "medical bills"}},
	{name: "food", phrases: []string{
		"food", "hunger", "hungry", "meal", "meals", "nutrition", "nutritious", "groceries", "malnutrition",
		"food insecurity", "food poverty",
	}},
	{name: "food-bank", parents: []string{"food"}, phrases: []string{"food bank", "food banks", "foodbank", "foodbanks", "food parcels", "food aid"}},
	{name: "school-meals", parents: []string{"food"}, phrases: []string{"school meals", "school meal", "school lunch", "school lunches", "free school meals"}},
	{name: "food-sovereignty", parents: []string{"food"}, phrases: []string{"food sovereignty"}},
	{name: "poverty", phrases: []string{"poverty", "poor", "destitution", "low income", "deprivation", "impoverished"}},
	{name: "social-security", phrases: []string{
		"social security", "welfare", "benefits", "universal credit", "safety net", "social assistance",
		"income support", "social welfare", "welfare state", "unemployment insurance", "social safety net",
	}},
	{name: "public-transit", phrases: []string{
		"public transit", "public transport", "transit", "transport", "transportation", "rail", "railway",
		"railways", "train", "trains", "bus", "buses", "high speed rail",
	}},
	{name: "energy-efficiency", phrases: []string{
		"energy efficiency", "energy efficient", "insulation", "insulate", "insulating", "retrofit",
		"retrofitting", "retrofits", "weatherize", "weatherization", "weatherise",
	}},
	{name: "subsidy", phrases: []string{"subsidy", "subsidies", "subsidise", "subsidize", "subsidised", "subsidized"}},
	{name: "tax", phrases: []string{"tax", "taxes", "taxation", "levy", "levies", "royalties", "tax break", "tax breaks", "tax relief", "tax credits", "income tax", "income taxes", "wealth tax", "corporate tax"}},
	{name: "carbon-tax", parents: []string{"tax", "emissions"}, phrases: []string{"carbon tax", "carbon price", "carbon pricing", "co2 tax", "carbon levy"}},
	{name: "wealth", phrases: []string{"wealthy", "rich", "billionaires", "millionaires", "super rich", "the wealthy few"}},
	{name: "corporations", phrases: []string{"corporation", "corporations", "corporate", "big business", "multinationals", "transnational corporations"}},
	{name: "indigenous", phrases: []string{"indigenous", "first nations", "native", "aboriginal", "tribal", "tribes"}},
	{name: "nature", phrases: []string{"nature", "biodiversity", "ecosystem", "ecosystems", "wildlife", "species", "habitat", "habitats"}},
	{name: "military", phrases: []string{"military", "militarism", "militarization", "war economy", "defence spending", "defense spending", "armed forces", "arms trade"}},
	{name: "police", phrases: []string{"police", "policing", "law enforcement", "cops"}},
	{name: "immigration", phrases: []string{"immigration", "immigrant", "immigrants", "migrant", "migrants", "migration", "refugee", "refugees", "asylum", "citizenship", "undocumented"}},
	{name: "voting", phrases: []string{"vote", "votes", "voting", "voter", "voters", "electoral", "ballot", "suffrage", "elections"}},
	{name: "land", phrases: []string{"land", "lands", "territory", "territories"}},
	{name: "farming", phrases: []string{"farm", "farms", "farmer", "farmers", "farming", "peasant", "peasants", "agriculture", "agricultural", "agrarian", "agroecology"}},
	{name: "science", phrases: []string{"science", "scientific", "scientists"}},
	{name: "paris-agreement", phrases: []string{"paris agreement", "paris climate agreement", "paris accord"}},
	{name: "discrimination", phrases: []string{"discrimination", "discriminate", "racism", "racial discrimination"}},
	{name: "reparations", phrases: []string{"reparations", "reparation", "redress", "redressing"}},
	// Climate and environment, beyond energy.
	{name: "forests", phrases: []string{"forest", "forests", "rainforest", "rainforests", "woodland", "woodlands", "trees", "tree planting"}},
	{name: "deforestation", phrases: []string{"deforestation", "logging", "forest destruction", "clearcutting", "clear cutting"}},
	{name: "pollution", phrases: []string{"pollution", "pollutants", "pollutant", "polluting", "polluters", "toxic", "toxics", "contamination", "air pollution", "dirty air"}},
	{name: "clean-air", parents: []string{"pollution"}, phrases: []string{"clean air", "air quality", "breathable air"}},
	{name: "plastics", phrases: []string{"plastic", "plastics", "single use plastic", "single use plastics", "packaging"}},
	{name: "water", phrases: []string{"water", "drinking water", "clean water", "sanitation", "rivers", "sewage", "wastewater"}},
	{name: "oceans", phrases: []string{"ocean", "oceans", "seas", "marine", "fisheries", "overfishing"}},
	{name: "aviation", phrases: []string{"aviation", "flights", "flying", "airport", "airports", "air travel", "frequent flyer", "frequent flyers", "private jets"}},
	{name: "cars", phrases: []string{"car", "cars", "private cars", "motorways", "vehicles", "electric vehicles", "combustion engine", "combustion engines"}},
	{name: "cycling-walking", phrases: []string{"cycling", "bike", "bikes", "bicycle", "bicycles", "cycle lanes", "bike lanes", "walking", "pedestrians", "active travel"}},
	{name: "climate-finance", phrases: []string{"climate finance", "loss and damage", "adaptation finance", "green climate fund", "climate debt"}},
	{name: "adaptation", phrases: []string{"adaptation", "adapt", "resilience", "resilient", "flood defences", "flood defenses"}},
	{name: "ecocide", phrases: []string{"ecocide"}},
	{name: "waste", phrases: []string{"waste", "landfill", "incineration", "incinerators", "recycling", "circular economy", "zero waste"}},
	{name: "pesticides", phrases: []string{"pesticide", "pesticides", "herbicides", "glyphosate", "agrochemicals", "chemical inputs"}},
	{name: "gmo", phrases: []string{"gmo", "gmos", "genetically modified", "genetic engineering", "gm crops"}},
	{name: "seeds", phrases: []string{"seed", "seeds", "seed sovereignty", "seed saving"}},
	// Democracy and government.
	{name: "proportional-representation", parents: []string{"voting"}, phrases: []string{
		"proportional representation", "proportional voting", "proportional system", "fair votes",
		"first past post", "fptp", "single transferable vote", "ranked choice voting", "ranked choice",
		"mixed member proportional", "electoral reform", "voting reform", "every vote counts", "every vote count",
		"share of seats", "proportion of seats", "seats in proportion", "seats proportional", "seats reflect votes",
	}},
	{name: "voting-rights", parents: []string{"voting"}, phrases: []string{
		"voting rights", "right to vote", "voter suppression", "voter registration", "automatic voter registration",
		"voter id", "disenfranchisement", "disenfranchise", "enfranchise", "enfranchisement", "votes at 16", "voting age",
	}},
	{name: "transparency", phrases: []string{"transparency", "transparent", "openness", "freedom of information", "open government", "right to know", "secrecy", "secret"}},
	{name: "accountability", weight: 0.5, phrases: []string{"accountability", "accountable", "answerable"}},
	{name: "oversight", phrases: []string{"oversight", "scrutiny", "independent oversight", "independent scrutiny", "watchdog", "watchdogs", "independent body", "independent commissioner"}},
	{name: "judicial-warrant", phrases: []string{"warrant", "warrants", "judicial authorisation", "judicial authority", "judicial approval", "judicial warrant", "court order", "court orders", "judge", "judges", "judicial"}},
	{name: "second-chamber", phrases: []string{"house of lords", "upper house", "second chamber", "upper chamber", "lords", "hereditary peers"}},
	{name: "corruption", phrases: []string{"corruption", "corrupt", "lobbying", "lobbyists", "lobbyist", "dark money", "big money", "money in politics", "campaign finance", "political donations", "revolving door", "conflicts of interest"}},
	{name: "referendum", phrases: []string{"referendum", "referendums", "referenda", "plebiscite", "ballot initiative", "ballot initiatives"}},
	{name: "devolution", phrases: []string{"devolution", "devolve", "decentralisation", "decentralization", "local control", "subsidiarity", "local government", "municipalities", "councils"}},
	{name: "protest", phrases: []string{"protest", "protests", "protesters", "protestors", "peaceful protest", "right to protest", "freedom of assembly", "demonstrations", "civil disobedience"}},
	{name: "free-speech", phrases: []string{"free speech", "freedom of speech", "freedom of expression", "free expression", "censorship", "censor", "press freedom", "free press", "media freedom"}},
	// Peace.
	{name: "nuclear-weapons", phrases: []string{
		"nuclear weapons", "nuclear weapon", "nuclear arms", "nuclear arsenal", "nuclear arsenals", "atomic weapons",
		"nukes", "trident", "nuclear disarmament", "nuclear deterrent", "nuclear warheads", "warheads", "tpnw",
		"treaty on prohibition of nuclear weapons", "nuclear ban treaty",
	}},
	{name: "arms-trade", phrases: []string{"arms trade", "arms sales", "arms exports", "weapons sales", "weapons exports", "arms deals", "arms embargo", "selling arms", "sell arms", "arms dealers"}},
	{name: "ceasefire", phrases: []string{"ceasefire", "cease fire", "truce", "armistice", "peace talks", "peace negotiations", "peace process", "negotiated peace", "negotiated settlement"}},
	{name: "war", weight: 0.5, phrases: []string{"war", "wars", "warfare", "invasion", "occupation", "bombing", "bombings", "airstrikes", "air strikes", "armed conflict", "hostilities"}},
	{name: "disarmament", phrases: []string{"disarmament", "disarm", "demilitarisation", "demilitarization"}},
	// Migration.
	{name: "detention", phrases: []string{"detention", "detain", "detained", "detaining", "detention centres", "detention centers", "immigration detention", "indefinite detention", "immigration removal centres", "camps"}},
	{name: "deportation", phrases: []string{"deportation", "deportations", "deport", "deported", "deporting", "removals", "forced removals", "expulsions", "pushbacks", "push backs", "refoulement"}},
	{name: "safe-routes", phrases: []string{"safe routes", "safe and legal routes", "safe passage", "humanitarian visas", "humanitarian corridors", "resettlement", "family reunion", "family reunification"}},
	{name: "hostile-environment", phrases: []string{"hostile environment", "right to rent", "immigration checks", "no recourse to public funds", "nrpf"}},
	{name: "regularisation", phrases: []string{"regularisation", "regularization", "regularise", "regularize", "amnesty", "path to citizenship", "pathway to citizenship", "legal status", "leave to remain", "residence permits",
		"residency rights", "residence rights", "right to remain", "right of residence", "papers for all", "status for all",
		"regular status", "permanent residency", "permanent residence"}},
	// Health.
	{name: "universal-health-care", parents: []string{"health-care"}, phrases: []string{
		"universal health care", "universal healthcare", "universal health coverage", "medicare for all",
		"single payer", "national health insurance", "free at point of use", "free at point of delivery",
		"health care for all", "healthcare for all", "guaranteed health care", "health care is human right",
		"healthcare is human right", "universal coverage",
	}},
	{name: "privatisation", phrases: []string{"privatisation", "privatization", "privatise", "privatize", "privatised", "privatized", "privatising", "privatizing", "outsourcing", "outsourced", "marketisation", "marketization", "private providers"}},
	{name: "public-ownership", phrases: []string{"public ownership", "publicly owned", "nationalisation", "nationalization", "nationalise", "nationalize", "renationalise", "renationalize", "renationalisation", "renationalization", "public hands", "public control", "municipalise", "municipalize", "common ownership", "democratic ownership"}},
	{name: "mental-health", parents: []string{"health-care"}, phrases: []string{"mental health", "mental illness", "mental health services", "psychiatric", "wellbeing", "well being"}},
	{name: "medicines", phrases: []string{"medicines", "medicine", "drugs", "prescription drugs", "drug prices", "prescriptions", "pharmaceutical", "pharmaceuticals", "big pharma", "generic medicines", "vaccines", "vaccine"}},
	{name: "health-workers", phrases: []string{"nurses", "nurse", "doctors", "doctor", "health workers", "healthcare workers", "care workers", "carers", "staffing", "staff shortages", "nhs staff"}},
	{name: "social-care", phrases: []string{"social care", "care homes", "care home", "adult social care", "long term care", "home care", "elder care", "disability care",
		"home and community based care", "home based care", "community based care", "care at home"}},
	// Digital rights.
	{name: "privacy", phrases: []string{"privacy", "private data", "personal data", "data protection", "surveillance", "mass surveillance", "tracking", "spying", "facial recognition", "biometric", "biometrics", "encryption", "end to end encryption"}},
	{name: "internet-access", phrases: []string{"internet access", "broadband", "digital divide", "connectivity", "digital inclusion", "online access", "affordable internet"}},
	{name: "net-neutrality", phrases: []string{"net neutrality", "open internet", "internet freedom"}},
	{name: "big-tech", phrases: []string{"big tech", "tech giants", "tech companies", "platforms", "online platforms", "social media companies", "monopolies", "monopoly", "antitrust", "competition law"}},
	{name: "algorithms", phrases: []string{"algorithm", "algorithms", "algorithmic", "artificial intelligence", "automated decision making", "automated decisions", "ai"}},
	// Work.
	{name: "working-hours", phrases: []string{"working week", "work week", "workweek", "four day week", "4 day week", "shorter working week", "working hours", "hours of work", "32 hour week", "overtime", "working time"}},
	{name: "sick-pay", phrases: []string{"sick pay", "paid sick leave", "sick leave", "sick days", "paid sick days", "statutory sick pay"}},
	{name: "family-leave", phrases: []string{"parental leave", "maternity leave", "paternity leave", "family leave", "paid family leave", "maternity pay", "paternity pay"}},
	{name: "insecure-work", weight: 0.5, phrases: []string{"insecure work", "precarious work", "precarious employment", "casual work", "casualisation", "casualization", "temporary contracts", "agency work", "insecure contracts"}},
	{name: "zero-hours-contracts", parents: []string{"insecure-work"}, phrases: []string{"zero hours", "zero hour", "zero hour contracts", "zero hours contracts", "zero hours contract", "zero hour contract"}},
	{name: "fire-and-rehire", parents: []string{"insecure-work"}, phrases: []string{"fire and rehire", "firing and rehiring", "fire rehire"}},
	{name: "gig-economy", parents: []string{"insecure-work"}, phrases: []string{"gig economy", "gig workers", "bogus self employment", "false self employment", "misclassification", "platform workers"}},
	{name: "workplace-safety", phrases: []string{"health and safety", "workplace safety", "safe workplaces", "safe workplace", "safe working conditions", "ppe", "protective equipment", "occupational safety", "industrial accidents", "workplace injuries"}},
	{name: "equal-pay", phrases: []string{"equal pay", "pay gap", "gender pay gap", "pay equity", "equal pay for equal work", "racial pay gap", "pay discrimination"}},
	{name: "childcare", phrases: []string{"childcare", "child care", "early years", "nurseries", "nursery", "daycare", "day care", "early childhood education", "preschool", "pre k"}},
	{name: "day-one", weight: 0.5, phrases: []string{"day one", "day 1", "first day", "from day one", "day one rights"}},
	{name: "employment-rights", phrases: []string{"employment rights", "workers rights", "labour rights", "labor rights", "rights at work", "unfair dismissal", "employment protections", "labor law", "labour law", "employment law"}},
	// Poverty and the cost of living.
	{name: "child-poverty", parents: []string{"poverty"}, phrases: []string{"child poverty", "children in poverty", "poor children"}},
	{name: "child-benefit", phrases: []string{"child benefit", "child tax credit", "child allowance", "child payment", "child element"}},
	{name: "two-child-limit", phrases: []string{"two child limit", "two child policy", "two child cap", "two child benefit cap", "two child restriction"}},
	{name: "cost-of-living", phrases: []string{"cost of living", "prices", "price rises", "inflation", "affordability", "living costs", "essentials", "essential goods", "price gouging"}},
	{name: "energy-bills", phrases: []string{"energy bills", "fuel poverty", "energy poverty", "heating bills", "energy prices", "fuel bills", "energy costs", "heating", "power bills", "disconnections"}},
	{name: "benefit-cuts", phrases: []string{"benefit cap", "benefit sanctions", "sanctions", "benefit cuts", "welfare cuts", "austerity", "spending cuts", "bedroom tax", "five week wait"}},
	{name: "disability", phrases: []string{"disability", "disabled", "disabled people", "disabilities", "accessibility", "accessible", "impairment", "impairments"}},
	{name: "gender-equality", phrases: []string{"gender equality", "women", "womens", "gender", "sexism", "misogyny", "gender based violence", "violence against women", "feminist", "reproductive rights", "abortion"}},
	{name: "lgbt", phrases: []string{"lgbt", "lgbtq", "lgbtqia", "queer", "transgender", "trans people", "gay", "lesbian", "bisexual", "sexual orientation", "gender identity"}},
	{name: "prisons", phrases: []string{"prison", "prisons", "incarceration", "mass incarceration", "jails", "jail", "imprisonment", "prisoners", "bail", "cash bail", "criminal justice"}},
	// Housing, beyond rent.
	{name: "housing-conditions", phrases: []string{"repairs", "disrepair", "damp", "mould", "mold", "decent homes", "habitability", "habitable", "safe homes", "housing standards", "overcrowding", "fire safety", "cladding", "healthy homes"}},
	{name: "empty-homes", phrases: []string{"empty homes", "vacant homes", "empty properties", "vacant properties", "vacancy tax", "empty buildings", "second homes", "vacant units"}},
	{name: "security-of-tenure", phrases: []string{"security of tenure", "secure tenancies", "open ended tenancies", "indefinite tenancies", "just cause", "good cause"}},
	{name: "affordable", weight: 0.5, phrases: []string{"affordable", "affordability", "genuinely affordable", "low cost", "below market"}},
	// Food, beyond hunger.
	{name: "right-to-food", parents: []string{"food"}, phrases: []string{"right to food", "food is human right", "right to adequate food", "freedom from hunger"}},
	{name: "cash-first", phrases: []string{"cash first", "cash grants", "cash transfers", "cash based", "emergency grants", "crisis grants", "local welfare assistance"}},
	{name: "food-waste", parents: []string{"food"}, phrases: []string{"food waste", "food surplus", "surplus food", "wasted food", "food loss"}},
	{name: "local-food", parents: []string{"food"}, phrases: []string{"local food", "locally grown", "short supply chains", "farmers markets", "community gardens", "urban agriculture", "community food"}},
	{name: "usa", weight: matchPlaceWeight, phrases: []string{"united states", "america", "american", "usa", "u.s."}},
	{name: "uk", weight: matchPlaceWeight, phrases: []string{"uk", "britain", "british", "england", "united kingdom", "u.k."}},
}

// matchNegativeWords and matchPositiveWords give the direction of an action
// on what follows: -1 ends, stops or reduces it; +1 funds, expands or
// supports it. Written as they appear in text (not stemmed) so that
// "development" (a thing) is not read as "develop" (an action).
var matchNegativeWords = `
end ends ending ended stop stops stopping stopped ban bans banning banned abolish abolishes
abolishing abolished abolition oppose opposes opposing opposed halt halts halting halted cancel
cancels cancelling canceling cancelled canceled cancellation scrap scraps scrapping scrapped
reject rejects rejecting rejected close closes closing closure closures cut cuts cutting reduce
reduces reducing reduced reduction reductions eliminate eliminates eliminating elimination
prevent prevents preventing prohibit prohibits prohibiting prohibition divest divests divesting
divestment defund defunding remove removes removing removal cease ceases ceasing shut shuts
shutting shutdown moratorium freeze freezes freezing frozen cap caps capping capped limit limits
limiting limitation limitations restrict restricts restricting restriction restrictions resist
resists resisting decommission decommissioning block blocks blocking against repeal repeals
repealing tackle tackles tackling combat combating combatting halve halving outlaw outlawing
forbid forbidding curb curbs curbing phaseout demilitarize demilitarise demilitarizing demilitarising
suspend suspends suspending suspended suspension
`

var matchPositiveWords = `
fund funds funding expand expands expanding expanded expansion support supports supporting
increase increases increasing increased build builds building invest invests investing
investment investments grow grows growing extend extends extending extension promote promotes
promoting creating create creates creation raise raises raising boost boosts boosting develop
develops developing accept accepts accepting allow allows allowing approve approves approving
subsidise subsidize subsidising subsidizing subsidised subsidized funded strengthen strengthens strengthening protect
protects protecting restore restores restoring reinstate reinstates reinstating proceed
proceeds continue continues continuing defend defends defending uphold upholds upholding
finance financing scale welcome welcomes keep keeps keeping open opening reopen reopening
shield shielding safeguard safeguarding
`

// matchActionClasses group action words by what they do to their object, so
// that "cease subsidies" and "an end to subsidies" share the action "end"
// while "rent freeze" and "rent cancellation" do not. The action is a feature
// of its own (weight matchActionWeight), besides its direction.
var matchActionClasses = map[string]string{
	"end": `end ends ending ended stop stops stopping stopped halt halts halting halted cease ceases ceasing
		abolish abolishes abolishing abolished abolition scrap scraps scrapping scrapped eliminate eliminates
		eliminating elimination cancel cancels cancelling canceling cancelled canceled cancellation close closes
		closing closure closures shut shuts shutting shutdown phaseout repeal repeals repealing decommission
		decommissioning ban bans banning banned prohibit prohibits prohibiting prohibition outlaw outlawing
		suspend suspends suspending suspended suspension
		forbid forbidding block blocks blocking prevent prevents preventing oppose opposes opposing opposed
		reject rejects rejecting rejected resist resists resisting against`,
	"limit":  `freeze freezes freezing frozen cap caps capping capped limit limits limiting limitation limitations restrict restricts restricting restriction restrictions curb curbs curbing moratorium control controls regulate regulates regulating regulation regulations`,
	"reduce": `reduce reduces reducing reduced reduction reductions cut cuts cutting halve halving lower lowering demilitarize demilitarise demilitarizing demilitarising`,
	"tackle": `tackle tackles tackling combat combating combatting`,
	"remove": `remove removes removing removal divest divests divesting divestment defund defunding`,
	"fund":   `fund funds funding funded finance financing invest invests investing investment investments subsidise subsidize subsidising subsidizing subsidised subsidized`,
	"expand": `expand expands expanding expanded expansion increase increases increasing increased grow grows growing extend extends extending extension raise raises raising boost boosts boosting scale`,
	"build":  `build builds building create creates creating creation develop develops developing`,
	"support": `support supports supporting defend defends defending uphold upholds upholding strengthen strengthens
		strengthening protect protects protecting promote promotes promoting welcome welcomes accept accepts
		accepting allow allows allowing approve approves approving shield shielding safeguard safeguarding`,
	"keep": `restore restores restoring reinstate reinstates reinstating continue continues continuing proceed proceeds keep keeps keeping open opening reopen reopening`,
}

// matchActionFamilies group action classes by what they want for their
// object: stop it, restrain it, or promote it. The same object under actions
// of different families is a different aim ("rent cancellation" is not "rent
// controls"), even when the directions agree.
var matchActionFamilies = map[string]string{
	"end": "stop", "tackle": "stop", "remove": "stop",
	"limit": "restrain", "reduce": "restrain",
	"fund": "promote", "expand": "promote", "build": "promote", "support": "promote", "keep": "promote",
}

// matchNegatedActions are what refusing an action does to its object:
// "no increase in surveillance" limits it, "no support for new oil" opposes
// it, and "no cuts to benefits" or "stop closures of libraries" keeps it.
var matchNegatedActions = map[string]string{
	"expand": "limit", "build": "end", "fund": "end", "support": "end", "keep": "end",
	"end": "keep", "reduce": "keep", "remove": "keep",
}

// matchShieldWords protect what follows them from what follows "from":
// "protect renters from evictions".
var matchShieldWords = matchWordSet(`protect protects protecting shield shielding safeguard safeguarding`)

// matchActionWeight is the weight of an action feature, matchFrameWeight the
// weight of an action on an object ("end:subsidy").
const (
	matchActionWeight = 0.5
	matchFrameWeight  = 1.0
)

// matchPolarityPhrases are two- and three-word actions; the last word carries
// the direction and the others are dropped.
var matchPolarityPhrases = map[string]int8{
	"phase out": -1, "phasing out": -1, "phase down": -1, "shut down": -1, "close down": -1,
	"wind down": -1, "in the ground": -1, "go ahead": +1, "roll out": +1, "scale up": +1,
	"ramp up": +1, "keep open": +1,
}

var matchPhraseActions = map[string]string{
	"phase out": "end", "phasing out": "end", "phase down": "reduce", "shut down": "end", "close down": "end",
	"wind down": "end", "in the ground": "end", "go ahead": "keep", "roll out": "build", "scale up": "expand",
	"ramp up": "expand", "keep open": "keep",
}

// matchGoverning words let a direction word govern the next one: "a
// moratorium on closures" keeps plants open, "an end to bans" allows.
var matchGoverning = matchWordSet(`on of to against from`)

// matchChainBreakers end a chain of direction words: "freezes, and caps" are
// two limits, not a limit on a limit.
var matchChainBreakers = matchWordSet(`and or nor but`)

// matchPrepositions before a direction word make it a noun in a phrase of
// place or time ("by the end of 2019"), not an action.
var matchPrepositions = matchWordSet(`by at until before after in from since within during till`)

// matchNegators turn the direction of what follows around ("no new coal",
// "never accept", "not go ahead").
var matchNegators = matchWordSet(`not no never without nor neither non`)

// matchBadNouns name harms: a word just before them is the thing harmed, so
// its direction is turned around ("end voter suppression" supports voters).
var matchBadNouns = matchWordSet(`
suppression violence oppression discrimination exploitation pollution harassment intimidation
coercion retaliation injustice injustices poverty hunger homelessness insecurity inequality
inequalities racism abuse abuses
`)

// matchQualifiers introduce examples or details of an aim ("especially",
// "such as"): the words after them, up to the end of the clause, count for
// less than the aim itself.
var matchQualifierPhrases = [][]string{
	{"especially"}, {"particularly"}, {"including"}, {"such", "as"}, {"for", "example"}, {"for", "instance"},
	{"in", "particular"}, {"in", "the", "process"}, {"beginning", "with"}, {"starting", "with"}, {"starting", "by"},
	{"as", "a", "first", "step"},
}

// matchQualifiedWeight is the weight factor of words in a qualifier.
const matchQualifiedWeight = 0.5

// matchClauseBreaks end the reach of a direction word.
var matchClauseBreakPhrases = [][]string{{"rather", "than"}, {"instead", "of"}, {"in", "place", "of"}}

// matchIndexations are the ways of tying an amount to prices, as written.
var matchIndexations = []struct {
	value   string
	phrases [][]string
}{
	{"above", matchPhrases("inflation busting", "above inflation", "above the rate of inflation", "more than inflation",
		"real terms increase", "real terms increases", "real terms rise", "real terms rises", "real terms pay rise")},
	{"in line with", matchPhrases("in line with inflation", "linked to inflation", "tied to inflation", "inflation linked",
		"index linked", "indexed to inflation", "uprated with inflation", "uprate with inflation", "uprating with inflation",
		"keep pace with inflation", "keeps pace with inflation", "keeping pace with inflation", "rise with inflation",
		"rises with inflation", "track inflation")},
}

func matchPhrases(ps ...string) [][]string {
	out := make([][]string, len(ps))
	for i, p := range ps {
		out[i] = matchSplitWords(p)
	}
	return out
}

// matchNumberWords are spelled-out numbers, counted only before a unit
// ("two decades", "five-year").
var matchNumberWords = map[string]float64{
	"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
	"nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30,
	"forty": 40, "fifty": 50, "hundred": 100,
}

// matchUnits are the units of counted quantities, by singular form.
var matchUnits = map[string]string{
	"hour": "hour", "hours": "hour", "day": "day", "days": "day", "week": "week", "weeks": "week",
	"month": "month", "months": "month", "year": "year", "years": "year", "decade": "decade",
	"decades": "decade",
}

var matchScales = map[string]float64{
	"thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "mn": 1e6, "billion": 1e9, "bn": 1e9,
	"trillion": 1e12, "tn": 1e12,
}

var matchCurrencyWords = map[string]string{
	"dollar": "usd", "dollars": "usd", "usd": "usd", "pound": "gbp", "pounds": "gbp", "gbp": "gbp",
	"euro": "eur", "euros": "eur", "eur": "eur",
}

// matchConceptIndex is the word lists compiled for lookup: the concept table
// by stems, and the direction and the action class of each action word.
type matchConceptIndex struct {
	polarity map[string]int8   // action word → direction
	actions  map[string]string // action word or phrase → action class
	// phrases by their first stem, longest first.
	phrases map[string][]matchPhrase
	// single words that name a concept, as written (singular and plural
	// forms are both listed in the table, or the plural is found by dropping
	// a final s).
	words map[string]int
	// stems of those words, to show a term only once in explanations.
	wordStems map[string]int
	names     []string
	weights   []float32
	parents   [][]int
}

type matchPhrase struct {
	stems   []string
	concept int
}

// matchLex compiles the word lists the first time the matcher runs, not when
// a program that never matches starts (a few milliseconds).
var matchLex = sync.OnceValue(buildMatchLexicon)

func buildMatchLexicon() *matchConceptIndex {
	ix := &matchConceptIndex{
		polarity: map[string]int8{}, actions: map[string]string{},
		phrases: map[string][]matchPhrase{}, words: map[string]int{}, wordStems: map[string]int{},
	}
	for _, w := range strings.Fields(matchNegativeWords) {
		ix.polarity[matchSpelling(w)] = -1
	}
	for _, w := range strings.Fields(matchPositiveWords) {
		ix.polarity[matchSpelling(w)] = +1
	}
	for class, words := range matchActionClasses {
		for _, w := range strings.Fields(words) {
			ix.actions[matchSpelling(w)] = class
		}
	}
	for p, class := range matchPhraseActions {
		ix.actions[p] = class
	}
	byName := map[string]int{}
	for i, c := range matchConcepts {
		byName[c.name] = i
		ix.names = append(ix.names, c.name)
		w := c.weight
		if w == 0 {
			w = 1
		}
		ix.weights = append(ix.weights, w)
	}
	ix.parents = make([][]int, len(matchConcepts))
	for i, c := range matchConcepts {
		for _, p := range c.parents {
			j, ok := byName[p]
			if !ok {
				panic("consensus: unknown parent concept " + p)
			}
			ix.parents[i] = append(ix.parents[i], j)
		}
		for _, phrase := range c.phrases {
			var stems, words []string
			for _, w := range matchSplitWords(phrase) {
				if matchGlueWords[w] {
					continue
				}
				w = matchSpelling(w)
				words = append(words, w)
				stems = append(stems, matchStem(w))
			}
			if len(stems) == 0 {
				continue
			}
			if len(stems) == 1 {
				ix.words[words[0]] = i
				ix.wordStems[stems[0]] = i
				continue
			}
			ix.phrases[stems[0]] = append(ix.phrases[stems[0]], matchPhrase{stems: stems, concept: i})
		}
	}
	for k, list := range ix.phrases {
		sort.SliceStable(list, func(a, b int) bool { return len(list[a].stems) > len(list[b].stems) })
		ix.phrases[k] = list
	}
	return ix
}

// matchSplitWords splits a lexicon entry into words the way text is split
// (so "u.s." and "co2" stay whole).
func matchSplitWords(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '-' })
}

func matchWordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[matchSpelling(w)] = true
	}
	return m
}

// matchWordInfo is everything the word lists say about one word, looked up
// once per word of a text.
type matchWordInfo struct {
	flags   uint16
	dir     int8   // direction (matchNegativeWords, matchPositiveWords)
	action  string // action class (matchActionClasses), or ""
	concept int16  // 1 + index of the concept the word names alone, or 0
}

const (
	mfStop uint16 = 1 << iota
	mfGlue
	mfWeak
	mfNeg
	mfChain
	mfGov
	mfPrep
	mfBad
	mfQuant
	mfSegStop
)

func (w matchWordInfo) has(f uint16) bool { return w.flags&f != 0 }

// matchInfo looks a word up in all the word lists.
func matchInfo(w string) matchWordInfo {
	var info matchWordInfo
	for _, l := range []struct {
		set  map[string]bool
		flag uint16
	}{
		{matchStopWords, mfStop}, {matchGlueWords, mfGlue}, {matchWeakWords, mfWeak}, {matchNegators, mfNeg},
		{matchChainBreakers, mfChain}, {matchGoverning, mfGov}, {matchPrepositions, mfPrep}, {matchBadNouns, mfBad},
		{matchQuantityWords, mfQuant}, {matchSegmentStops, mfSegStop},
	} {
		if l.set[w] {
			info.flags |= l.flag
		}
	}
	lex := matchLex()
	info.dir = lex.polarity[w]
	info.action = lex.actions[w]
	if c, ok := matchConceptWord(w); ok {
		info.concept = int16(c + 1)
	}
	return info
}

// matchInfoCache holds the information of the words seen so far; it is
// filled lazily and shared (the word lists never change).
var matchInfoCache sync.Map // string → matchWordInfo

// matchInfoCacheSize bounds the cache: beyond it, words are looked up
// without being remembered.
var matchInfoCacheSize atomic.Int64

type matchCachedWord struct {
	info matchWordInfo
	stem string
}

// matchLookup returns the information and the stem of a word.
func matchLookup(w string) (matchWordInfo, string) {
	if v, ok := matchInfoCache.Load(w); ok {
		cw := v.(*matchCachedWord)
		return cw.info, cw.stem
	}
	n := matchSpelling(w)
	cw := &matchCachedWord{info: matchInfo(n), stem: matchStem(n)}
	if matchInfoCacheSize.Load() < 200000 {
		if _, loaded := matchInfoCache.LoadOrStore(w, cw); !loaded {
			matchInfoCacheSize.Add(1)
		}
	}
	return cw.info, cw.stem
}

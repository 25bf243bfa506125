package embed

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user and system CPU time so far. The machine the
// benchmarks run on may be shared, so they report CPU time an operation
// (cpu-ms/op) next to the wall time: wall time grows when other processes
// take the cores, CPU time much less.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loop runs f as the benchmark's body and reports its CPU time.
func loop(b *testing.B, f func()) {
	b.ReportAllocs()
	start := cpuTime()
	n := 0
	for b.Loop() {
		f()
		n++
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(time.Millisecond)/float64(n), "cpu-ms/op")
}

// typical is one objective of about fifteen words.
const typical = "Build ten thousand genuinely affordable homes for local families in the city within the next five years."

// statement is a core statement's 30 objectives.
var statement = []string{
	"Cut the city's greenhouse gas emissions by half before 2030 and to net zero by 2040.",
	"Make buses and trams free for everyone under eighteen and for all pensioners.",
	typical,
	"Keep the emergency department of the local hospital open every day and every night.",
	"Raise the minimum wage paid by the council and its contractors to fifteen pounds an hour.",
	"Stop factories and water companies from dumping sewage and waste into our rivers.",
	"Open a public library with free internet access in every neighbourhood of the city.",
	"Ban single-use plastics in all council buildings, schools and public events by next year.",
	"Plant one million native trees across the region and protect the ancient woodland.",
	"Provide free, healthy school meals to every primary and secondary pupil in the borough.",
	"Introduce a four-day working week without loss of pay for all public sector staff.",
	"Freeze rents for three years and give tenants a legal right to challenge unfair evictions.",
	"Insulate every council home and public building to cut energy bills and fuel poverty.",
	"Build safe, separated cycle lanes connecting every school to the neighbourhoods around it.",
	"Lower the speed limit to twenty miles an hour on all residential streets in the city.",
	"Publish every item of council spending online in plain language within one month.",
	"Hold a citizens' assembly on the climate emergency and act on its recommendations.",
	"Guarantee an appointment with a family doctor within two working days for every resident.",
	"Reopen the closed railway station and restore the train line to the northern villages.",
	"Turn empty shops on the high street into community spaces, studios and small businesses.",
	"Fund youth clubs, sports and music activities for teenagers in every ward after school.",
	"End the use of zero-hours contracts by the council and by every company it pays.",
	"Put solar panels on the roof of every school, library and council building in the city.",
	"Protect parks, playing fields and green spaces from being sold off for development.",
	"Provide free childcare from nine months old so that parents can return to work.",
	"Set up a community energy cooperative owned by the residents who use its power.",
	"Make every bus, station and public building fully accessible to disabled people.",
	"Open warm, safe shelters and supported housing so that nobody has to sleep on the streets.",
	"Stop the sale of council land to private developers who do not build social housing.",
	"Teach climate science, first aid and practical cooking in every secondary school.",
}

func BenchmarkLoad(b *testing.B) {
	loop(b, func() {
		if _, err := load(weightsFile, vocabFile); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkTokenize(b *testing.B) {
	m := mustLoad(b)
	loop(b, func() { m.Tokenize(typical) })
}

func BenchmarkEmbed(b *testing.B) {
	m := mustLoad(b)
	loop(b, func() { m.Embed(typical) })
	b.ReportMetric(float64(len(m.Tokenize(typical))), "tokens")
}

// BenchmarkEmbedAll embeds one 30-objective statement on GOMAXPROCS cores
// (run with -cpu 1,2 to compare).
func BenchmarkEmbedAll(b *testing.B) {
	m := mustLoad(b)
	tokens := 0
	for _, s := range statement {
		tokens += len(m.Tokenize(s))
	}
	loop(b, func() { m.EmbedAll(statement) })
	b.ReportMetric(float64(tokens), "tokens")
}

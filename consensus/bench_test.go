package consensus

import (
	"math/rand"
	"testing"
)

func BenchmarkDecide(b *testing.B) {
	rule, _ := Preset("modified_consensus")
	tally := votes(20000, 12000, 1500, 2400, 3)
	b.ReportAllocs()
	for b.Loop() {
		Decide(rule, tally)
	}
}

func BenchmarkTally100k(b *testing.B) {
	rng := rand.New(rand.NewSource(1))
	choices := []Position{Agree, Agree, Agree, StandAside, Disagree, Block, NotVoted}
	positions := make([]Position, 100_000)
	for i := range positions {
		positions[i] = choices[rng.Intn(len(choices))]
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewTally(len(positions), positions); err != nil {
			b.Fatal(err)
		}
	}
}

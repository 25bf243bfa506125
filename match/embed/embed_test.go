package embed

import (
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/commonground/commonground/match/embed/internal/weights"
)

func TestLoadOnce(t *testing.T) {
	a, b := mustLoad(t), mustLoad(t)
	if a != b {
		t.Error("Load parsed the weights twice")
	}
}

func TestVectorsAreUnitLength(t *testing.T) {
	m := mustLoad(t)
	for _, s := range []string{"", " ", "Hello world.", strings.Repeat("long text ", 100)} {
		v := m.Embed(s)
		var sq float64
		for _, x := range v {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				t.Fatalf("Embed(%q) has %v", s, x)
			}
			sq += float64(x) * float64(x)
		}
		if math.Abs(sq-1) > 1e-5 {
			t.Errorf("Embed(%q) has squared norm %g", s, sq)
		}
	}
}

// TestOnlyFirst128TokensCount: the graph drops tokens from the 129th on.
func TestOnlyFirst128TokensCount(t *testing.T) {
	m := mustLoad(t)
	words := func(n int) string { return strings.TrimSpace(strings.Repeat("word ", n)) } // n tokens "▁word"
	if n := len(m.Tokenize(words(130))); n != 130 {
		t.Fatalf("%d tokens, want 130", n)
	}
	if a, b := m.Embed(words(130)), m.Embed(words(128)+" and something else entirely"); !slices.Equal(a, b) {
		t.Error("text after the 128th token changed the vector")
	}
	if a, b := m.Embed(words(127)), m.Embed(words(128)); slices.Equal(a, b) {
		t.Error("the 128th token did not change the vector")
	}
}

// TestEmbedAllEqualsEmbed: batching and the number of goroutines do not
// change a single bit.
func TestEmbedAllEqualsEmbed(t *testing.T) {
	m := mustLoad(t)
	texts := append([]string{"", "a", strings.Repeat("very long objective text, ", 60)}, statement...)
	texts = append(texts, "", "Hello world.", "   ")
	want := make([][]float32, len(texts))
	for i, s := range texts {
		want[i] = m.Embed(s)
	}
	for _, procs := range []int{1, 2, 3, 8} {
		old := runtime.GOMAXPROCS(procs)
		got := m.EmbedAll(texts)
		runtime.GOMAXPROCS(old)
		if len(got) != len(texts) {
			t.Fatalf("GOMAXPROCS=%d: %d vectors for %d texts", procs, len(got), len(texts))
		}
		for i := range texts {
			if !slices.Equal(got[i], want[i]) {
				t.Errorf("GOMAXPROCS=%d: EmbedAll differs from Embed for %q", procs, texts[i])
			}
		}
	}
	if got := m.EmbedAll(nil); len(got) != 0 {
		t.Errorf("EmbedAll(nil) = %d vectors", len(got))
	}
}

func TestConcurrentUse(t *testing.T) {
	m := mustLoad(t)
	want := m.Embed(typical)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for range 3 {
				var got []float32
				if i%2 == 0 {
					got = m.Embed(typical)
				} else {
					got = m.EmbedAll([]string{"x", typical})[1]
				}
				if !slices.Equal(got, want) {
					t.Error("concurrent Embed gave a different vector")
				}
			}
		})
	}
	wg.Wait()
}

func TestSplit(t *testing.T) {
	seq := func(n int) []int { return make([]int, n) }
	for _, c := range []struct {
		lens  []int
		procs int
	}{
		{[]int{5}, 2},
		{[]int{20, 20, 20, 20}, 2},
		{[]int{128, 1, 1, 1, 1, 128}, 2},
		{[]int{0, 0, 0}, 4},
		{slices.Repeat([]int{19}, 30), 2},
		{slices.Repeat([]int{19}, 300), 3},
		{slices.Repeat([]int{128}, 40), 2},
		{slices.Repeat([]int{127, 128, 1}, 30), 4},
	} {
		var seqs [][]int
		total := 0
		for _, n := range c.lens {
			seqs = append(seqs, seq(n))
			total += n
		}
		runs := split(seqs, total, c.procs)
		next := 0
		for _, r := range runs {
			if r[0] != next || r[1] <= r[0] {
				t.Fatalf("split(%v, %d) = %v: not consecutive runs", c.lens, c.procs, runs)
			}
			tokens := 0
			for _, s := range seqs[r[0]:r[1]] {
				tokens += len(s)
			}
			if tokens >= maxBatchTokens+weights.MaxTokens {
				t.Errorf("split(%v, %d): run %v has %d tokens", c.lens, c.procs, r, tokens)
			}
			next = r[1]
		}
		if next != len(seqs) {
			t.Fatalf("split(%v, %d) = %v: does not cover every sentence", c.lens, c.procs, runs)
		}
	}
	if runs := split(slices.Repeat([][]int{seq(19)}, 30), 570, 2); len(runs) != 4 {
		t.Errorf("30 sentences of 19 tokens on 2 procs: %d runs, want 4", len(runs))
	}
}

// TestSameAimScoresHigher is a sanity check, not the verification (that is
// the reference comparison): objectives that state the same aim in other
// words are closer than unrelated ones.
func TestSameAimScoresHigher(t *testing.T) {
	m := mustLoad(t)
	pairs := [][2]string{
		{"Make buses and trams free for everyone under eighteen.", "Free public transport for children and teenagers."},
		{"Cut greenhouse gas emissions by half before 2030.", "Reduce carbon emissions by 50% by the end of the decade."},
		{"Stop factories dumping waste into the river.", "Protect the river from industrial pollution."},
		{"Raise the minimum wage to £12 an hour.", "Increase the hourly minimum wage to twelve pounds."},
		{"Keep the maternity ward open.", "Stop the closure of the maternity unit."},
	}
	for i, p := range pairs {
		same := cosine(m.Embed(p[0]), m.Embed(p[1]))
		for j, q := range pairs {
			if i == j {
				continue
			}
			if other := cosine(m.Embed(p[0]), m.Embed(q[1])); other >= same {
				t.Errorf("%q is closer to %q (%.3f) than to %q (%.3f)", p[0], q[1], other, p[1], same)
			}
		}
	}
}

// TestMemoryFootprint logs the heap a loaded model keeps: its float32
// weights (the embedding table stays float16 in the binary and is widened a
// row at a time) and the tokenizer's vocabulary.
func TestMemoryFootprint(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	m, err := load(weightsFile, vocabFile)
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	heap := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("model heap after Load: %.1f MB (%.1f MB of float32 weights), embedded files %.1f MB",
		float64(heap)/1e6, float64(m.nw.memory())/1e6, float64(len(weightsFile)+len(vocabFile))/1e6)
	if heap > 32<<20 {
		t.Errorf("a loaded model keeps %d bytes of heap, want under 32 MiB", heap)
	}
	runtime.KeepAlive(m)
}

// FuzzTokenize checks what must hold for any text: ids are in the
// vocabulary, unknown tokens never repeat, and a text that normalises to
// something has tokens.
func FuzzTokenize(f *testing.F) {
	for _, s := range []string{"", " ", "Hello world.", "10:30 ”5", "\xff\xfe", "e\u0301", "😀👍🏽", "中文", "\t\n"} {
		f.Add(s)
	}
	m := mustLoad(f)
	f.Fuzz(func(t *testing.T, s string) {
		ids := m.Tokenize(s)
		for i, id := range ids {
			if id < 0 || id >= len(m.tok.back) || (id > 0 && id < reservedIDs) {
				t.Fatalf("Tokenize(%q)[%d] = %d", s, i, id)
			}
			if i > 0 && id == 0 && ids[i-1] == 0 {
				t.Fatalf("Tokenize(%q) repeats the unknown token: %v", s, ids)
			}
		}
		if (len(ids) == 0) != (prepare(s) == "") {
			t.Fatalf("Tokenize(%q) = %v", s, ids)
		}
	})
}

package embed

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// The tokenizer is the one of @energetic-ai/embeddings 0.2.0 (itself the
// tokenizer of tfjs-models' universal-sentence-encoder): a Viterbi search
// for the best-scoring split of the text into vocabulary pieces, with that
// code's particular rules, which this one follows to the token:
//
//   - The text is NFKC-normalised; if it is not empty, "▁" is put in front
//     and every U+0020 space becomes "▁" (other white space stays).
//   - The lattice is over code points. A position where no vocabulary piece
//     begins gets the unknown token (id 0) for one code point, scored 0:
//     better than any real piece, whose scores are negative log
//     probabilities.
//   - Piece scores add up in float64. A position's best score is replaced
//     when it is still exactly 0, which stands for "none yet", or when the
//     new score is at least as good: among equals the later candidate, by
//     start position, wins.
//   - A few vocabulary entries have no score (null, counted as 0) or a
//     positive one (":30" scores +30); they are kept as they are.
//   - When a piece is in the vocabulary more than once, its last entry (id
//     and score) is the one used; the first six entries (unknown, <s>, </s>
//     and three extra ids) are never matched.
//   - Walking back from the end, each step goes back by the chosen piece's
//     length in UTF-16 code units (and by 1 for the unknown token).
//   - Runs of unknown tokens are merged into one.
//
// The model reads the first 128 ids only; Tokenize returns them all.
type tokenizer struct {
	pieces   map[string]piece
	maxRunes int     // the longest piece, in code points
	back     []int32 // by id: how far the walk back steps (UTF-16 length)
}

type piece struct {
	id    int32
	score float64
}

// reservedIDs are the vocabulary's first entries, which the tokenizer never
// produces from text.
const reservedIDs = 6

func newTokenizer(vocabJSON []byte) (*tokenizer, error) {
	var vocab [][2]any
	if err := json.Unmarshal(vocabJSON, &vocab); err != nil {
		return nil, fmt.Errorf("embed: vocabulary: %w", err)
	}
	t := &tokenizer{pieces: make(map[string]piece, len(vocab)), back: make([]int32, len(vocab))}
	for id, entry := range vocab {
		text, ok := entry[0].(string)
		if !ok {
			return nil, fmt.Errorf("embed: vocabulary entry %d is not a string", id)
		}
		var score float64
		switch s := entry[1].(type) {
		case float64:
			score = s
		case nil:
			// JavaScript adds null as 0.
		default:
			return nil, fmt.Errorf("embed: vocabulary entry %d has score %v", id, entry[1])
		}
		t.back[id] = int32(len(utf16.Encode([]rune(text))))
		if id < reservedIDs {
			continue
		}
		t.pieces[text] = piece{id: int32(id), score: score}
		t.maxRunes = max(t.maxRunes, utf8.RuneCountInString(text))
	}
	if len(vocab) <= reservedIDs || t.back[0] != 1 {
		return nil, fmt.Errorf("embed: vocabulary of %d entries does not begin with a one-unit unknown piece", len(vocab))
	}
	return t, nil
}

// prepare is the reference's input processing.
func prepare(text string) string {
	s := norm.NFKC.String(strings.ToValidUTF8(text, "\uFFFD"))
	if s == "" {
		return s
	}
	return "▁" + strings.ReplaceAll(s, " ", "▁")
}

// encode returns the ids of text.
func (t *tokenizer) encode(text string) []int {
	s := prepare(text)
	// offs[i] is the byte offset of code point i; offs[n] = len(s).
	offs := make([]int, 0, len(s)+1)
	for i := range s {
		offs = append(offs, i)
	}
	n := len(offs)
	offs = append(offs, len(s))

	// best[e] and words[e]: the best score of a split of the first e code
	// points and the id of its last piece. The reference visits the
	// candidates by end position, then by start position; visiting them by
	// start position, then by end, makes the same updates in the same order
	// for every end, and each best[start] is final by the time it is read.
	// A start position's candidates are the pieces that begin there or, if
	// none does, the unknown token for one code point.
	best := make([]float64, n+1)
	words := make([]int32, n+1)
	relax := func(start, end int, p piece) {
		score := p.score + best[start]
		if best[end] == 0 || score >= best[end] {
			best[end] = score
			words[end] = p.id
		}
	}
	for i := range n {
		found := false
		for l := 1; l <= t.maxRunes && i+l <= n; l++ {
			if p, ok := t.pieces[s[offs[i]:offs[i+l]]]; ok {
				relax(i, i+l, p)
				found = true
			}
		}
		if !found {
			relax(i, i+1, piece{id: 0, score: 0})
		}
	}

	rev := make([]int, 0, n)
	prevUnknown := false
	for i := n; i > 0; i -= max(1, int(t.back[words[i]])) {
		id := int(words[i])
		if !(prevUnknown && id == 0) {
			rev = append(rev, id)
		}
		prevUnknown = id == 0
	}
	ids := make([]int, len(rev))
	for i, id := range rev {
		ids[len(rev)-1-i] = id
	}
	return ids
}

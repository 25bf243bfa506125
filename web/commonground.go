package web

import (
	"encoding/json"
	"net/http"

	"github.com/commonground/commonground/alliances"
)

type commonGroundPage struct {
	shell
	Error formError
	CG    alliances.CommonGround
}

// commonGround is the common ground page: public for what both movements
// agreed; members also see the suggestions and decisions waiting.
func (s *Server) commonGround(w http.ResponseWriter, r *http.Request) {
	s.renderCommonGround(w, r, http.StatusOK, formError{})
}

func (s *Server) renderCommonGround(w http.ResponseWriter, r *http.Request, status int, fe formError) {
	cg, err := s.allies.CommonGround(r.Context(), viewer(r))
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	s.render(w, r, status, "commonground", commonGroundPage{shell: s.shell(w, r, "Common ground"), Error: fe, CG: cg})
}

// commonGroundJSON is the common ground for scripts: the agreed pairs for
// anyone; for members, the suggestions and decisions waiting too.
type commonGroundJSON struct {
	Allies      int              `json:"allies"`
	Agreed      []agreedJSON     `json:"agreed"`
	ToConfirm   []pairJSON       `json:"to_confirm,omitempty"`
	Suggestions []suggestionJSON `json:"suggestions,omitempty"`
	Waiting     []pairJSON       `json:"waiting,omitempty"`
	Rejected    []pairJSON       `json:"rejected,omitempty"`
	Conflicts   int              `json:"contradictions"`
}

type wordingJSON struct {
	Key      string `json:"key"`
	Movement string `json:"movement"`
	Section  string `json:"section"`
	Text     string `json:"text"`
}

type agreedJSON struct {
	Ours   wordingJSON   `json:"ours"`
	Theirs []wordingJSON `json:"theirs"`
}

type pairJSON struct {
	Ours       wordingJSON `json:"ours"`
	Theirs     wordingJSON `json:"theirs"`
	Score      float64     `json:"score"`
	Why        string      `json:"why,omitempty"`
	Likely     bool        `json:"likely"`
	RejectedBy string      `json:"rejected_by,omitempty"`
}

type suggestionJSON struct {
	Ours       wordingJSON `json:"ours"`
	Candidates []pairJSON  `json:"candidates"`
}

func wordingOf(w alliances.Wording) wordingJSON {
	return wordingJSON{Key: w.Key, Movement: w.Source.Name, Section: string(w.Section), Text: w.Text}
}

func pairsOf(ps []alliances.Pair) []pairJSON {
	out := make([]pairJSON, len(ps))
	for i, p := range ps {
		out[i] = pairJSON{Ours: wordingOf(p.Ours), Theirs: wordingOf(p.Theirs), Score: p.Score, Why: p.Why, Likely: p.Likely, RejectedBy: p.RejectedBy()}
	}
	return out
}

func (s *Server) commonGroundJSON(w http.ResponseWriter, r *http.Request) {
	cg, err := s.allies.CommonGround(r.Context(), viewer(r))
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	out := commonGroundJSON{Allies: cg.Allies, Agreed: []agreedJSON{}, ToConfirm: pairsOf(cg.ToConfirm), Waiting: pairsOf(cg.Waiting),
		Rejected: pairsOf(cg.Rejected), Conflicts: len(cg.Contradictions)}
	for _, g := range cg.Agreed {
		a := agreedJSON{Ours: wordingOf(g.Ours)}
		for _, t := range g.Theirs {
			a.Theirs = append(a.Theirs, wordingOf(t))
		}
		out.Agreed = append(out.Agreed, a)
	}
	for _, sg := range cg.Suggestions {
		out.Suggestions = append(out.Suggestions, suggestionJSON{Ours: wordingOf(sg.Ours), Candidates: pairsOf(sg.Candidates)})
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(out)
}

// decidePair confirms, rejects or clears a pair, in one click.
func (s *Server) decidePair(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	decision, err := alliances.ParseDecision(f.Get("decision"))
	if err == nil {
		err = s.allies.DecidePair(r.Context(), *viewer(r), f.Get("ours"), f.Get("theirs"), decision)
	}
	if err != nil {
		s.formFailed(w, r, err, s.renderCommonGround)
		return
	}
	s.announce()
	msg := map[alliances.Decision]string{
		alliances.Confirmed: "Confirmed: the ally is told. Once they confirm too, it is agreed common ground.",
		alliances.Rejected:  "Rejected: the ally is told, and it is not suggested again.",
		alliances.Cleared:   "Decision cleared: the pair is a suggestion again.",
	}[decision]
	s.redirectWithFlash(w, r, "/common-ground#"+f.Get("return"), msg)
}

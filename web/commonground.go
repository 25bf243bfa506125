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

func (s *Server) commonGround(w http.ResponseWriter, r *http.Request) {
	s.renderCommonGround(w, r, http.StatusOK, formError{})
}

func (s *Server) renderCommonGround(w http.ResponseWriter, r *http.Request, status int, fe formError) {
	cg, err := s.allies.CommonGround(r.Context(), *viewer(r))
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	s.render(w, r, status, "commonground", commonGroundPage{shell: s.shell(w, r, "Common ground"), Error: fe, CG: cg})
}

// commonGroundJSON is the common ground for scripts and tests.
type commonGroundJSON struct {
	Allies         int           `json:"allies"`
	Clusters       []clusterJSON `json:"clusters"`
	Contradictions int           `json:"contradictions"`
}

type clusterJSON struct {
	Score     float64           `json:"score"`
	Why       string            `json:"why"`
	Confirmed bool              `json:"confirmed"`
	Likely    bool              `json:"likely"`  // confirmed, linked, or the matcher is confident; else a person should check
	Members   map[string]string `json:"members"` // movement name → wording
	Keys      []string          `json:"keys"`
}

func (s *Server) commonGroundJSON(w http.ResponseWriter, r *http.Request) {
	cg, err := s.allies.CommonGround(r.Context(), *viewer(r))
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	out := commonGroundJSON{Allies: cg.Allies, Contradictions: len(cg.Contradictions)}
	for _, c := range cg.Clusters {
		jc := clusterJSON{Score: c.Score, Why: c.Why, Confirmed: c.Confirmed, Likely: c.Likely, Members: map[string]string{}}
		for _, w := range c.Wordings {
			jc.Members[w.Source.Name] = w.Text
			jc.Keys = append(jc.Keys, w.Key)
		}
		out.Clusters = append(out.Clusters, jc)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(out)
}

func (s *Server) decideMatch(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.renderError(w, r, err)
		return
	}
	f := r.PostForm
	err := s.allies.DecideMatch(r.Context(), *viewer(r), f.Get("a"), f.Get("b"), f.Get("decision"))
	if err != nil {
		if fe, ok := formErrorFor(err); ok {
			s.renderCommonGround(w, r, problemFor(err).Status, fe)
			return
		}
		s.renderError(w, r, err)
		return
	}
	msg := map[string]string{"confirmed": "Match confirmed.", "rejected": "Match rejected: the matcher will not suggest it again.",
		"linked": "Objectives linked.", "clear": "Decision cleared: the matcher's suggestion applies again."}[f.Get("decision")]
	s.redirectWithFlash(w, r, "/common-ground", msg)
}

package consensus

import (
	"os"
	"strings"
	"testing"
)

func TestSimDebug(t *testing.T) {
	p := os.Getenv("SIM")
	if p == "" {
		t.Skip()
	}
	parts := strings.Split(p, "|")
	for _, x := range parts {
		a := matchAnalyze(x)
		for _, o := range a.occs {
			t.Logf("%q: %s w=%.2f pol=%d", x[:min(20, len(x))], o.key, o.weight, o.pol)
		}
	}
	s, why := Similarity(parts[0], parts[1])
	t.Logf("%.3f %s", s, why)
}

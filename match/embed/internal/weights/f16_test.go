package weights

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestF16RoundTripsEveryValue(t *testing.T) {
	for h := range 1 << 16 {
		f := F32(uint16(h))
		if math.IsNaN(float64(f)) {
			continue
		}
		if got := F16(f); got != uint16(h) {
			t.Fatalf("F16(F32(%#04x) = %g) = %#04x", h, f, got)
		}
	}
}

// TestF16IsNearest checks F16 against a search over all finite binary16
// values for the nearest one (ties to the even mantissa).
func TestF16IsNearest(t *testing.T) {
	var finite []float64
	for h := range 0x7c00 {
		finite = append(finite, float64(F32(uint16(h))))
	}
	nearest := func(v float64) uint16 {
		a := math.Abs(v)
		best := 0
		for h, f := range finite {
			d, bd := math.Abs(f-a), math.Abs(finite[best]-a)
			if d < bd || d == bd && h%2 == 0 {
				best = h
			}
		}
		if a >= 65520 { // halfway between 65504 and the next power, or beyond
			best = 0x7c00
		}
		if math.Signbit(v) {
			return uint16(best) | 0x8000
		}
		return uint16(best)
	}
	r := rand.New(rand.NewPCG(1, 2))
	cases := []float32{0, -0, 1, -1, 65504, 65519.99, 65520, 1e9, 5.96e-8, 2.98e-8, 2.99e-8, 1e-10, 0.1, 1.0 / 3}
	for range 3000 {
		// Magnitudes across and beyond the binary16 range.
		cases = append(cases, float32(math.Ldexp(r.Float64()*2-1, r.IntN(44)-28)))
	}
	for _, v := range cases {
		if got, want := F16(v), nearest(float64(v)); got != want {
			t.Errorf("F16(%g) = %#04x (%g), want %#04x (%g)", v, got, F32(got), want, F32(want))
		}
	}
}

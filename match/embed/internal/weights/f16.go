package weights

import "math"

// F16 rounds v to the nearest IEEE 754 binary16 value (ties to even) and
// returns its bits. Values too large become infinities; NaN stays NaN.
func F16(v float32) uint16 {
	b := math.Float32bits(v)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23) & 0xff
	mant := b & 0x7fffff
	switch {
	case exp == 0xff: // infinity or NaN
		if mant != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	case exp-127 > 15: // beyond the largest binary16 exponent
		return sign | 0x7c00
	case exp-127 >= -14: // a normal binary16 number
		h := uint32(exp-127+15)<<10 | mant>>13
		// A carry out of the mantissa correctly bumps the exponent, up to
		// infinity.
		return sign | uint16(roundShift(h<<13|mant&0x1fff, 13))
	case exp-127 >= -25: // a subnormal, or a value that rounds to one
		m := mant | 0x800000 // the implicit leading bit
		// value = m × 2^(exp-150); a subnormal's bits count 2^-24s.
		return sign | uint16(roundShift(m, uint(-(exp-150)-24)))
	}
	return sign // too small even to round up to the least subnormal
}

// roundShift is v >> s rounded to the nearest integer, ties to even.
func roundShift(v uint32, s uint) uint32 {
	q := v >> s
	rem := v & (1<<s - 1)
	half := uint32(1) << (s - 1)
	if rem > half || rem == half && q&1 == 1 {
		q++
	}
	return q
}

// F32 is the float32 value of the binary16 bits h (exactly).
func F32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	switch exp {
	case 0: // zero or subnormal: mant × 2^-24
		v := float32(mant) * (1.0 / (1 << 24))
		return math.Float32frombits(math.Float32bits(v) | sign)
	case 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	}
	return math.Float32frombits(sign | (exp-15+127)<<23 | mant<<13)
}

package embed

// matMul sets y = x·w + bias for rows rows: x is rows×k, w is k×n, both
// row-major, y is rows×n. k must be a multiple of 4.
//
// It is plain scalar Go, arranged for the compiler: two rows of x against
// four rows of w at a time, each y element gaining a sum of four products,
// over blocks of columns that keep their part of w in cache. Every row of y
// is computed by the same arithmetic whatever the other rows are, so a
// sentence gets the same vector alone or in a batch.
func matMul(y, x, w, bias []float32, rows, k, n int) {
	y = y[:rows*n]
	clear(y)
	const block = 256
	for j0 := 0; j0 < n; j0 += block {
		j1 := min(n, j0+block)
		r := 0
		for ; r+2 <= rows; r += 2 {
			mulRows2(y[r*n+j0:r*n+j1], y[(r+1)*n+j0:(r+1)*n+j1], x[r*k:(r+1)*k], x[(r+1)*k:(r+2)*k], w, n, j0)
		}
		if r < rows {
			mulRow(y[r*n+j0:r*n+j1], x[r*k:(r+1)*k], w, n, j0)
		}
	}
	for r := range rows {
		add(y[r*n:(r+1)*n], bias)
	}
}

// mulRows2 adds xa·w[:, j0:j0+len(ya)] to ya and the same for xb to yb.
func mulRows2(ya, yb, xa, xb, w []float32, n, j0 int) {
	m := len(ya)
	xb = xb[:len(xa)]
	for i := 0; i+4 <= len(xa); i += 4 {
		a0, a1, a2, a3 := xa[i], xa[i+1], xa[i+2], xa[i+3]
		b0, b1, b2, b3 := xb[i], xb[i+1], xb[i+2], xb[i+3]
		w0 := w[i*n+j0:][:m]
		w1 := w[(i+1)*n+j0:][:len(w0)]
		w2 := w[(i+2)*n+j0:][:len(w0)]
		w3 := w[(i+3)*n+j0:][:len(w0)]
		y0 := ya[:len(w0)]
		y1 := yb[:len(w0)]
		for j, p := range w0 {
			q, r, s := w1[j], w2[j], w3[j]
			y0[j] += a0*p + a1*q + a2*r + a3*s
			y1[j] += b0*p + b1*q + b2*r + b3*s
		}
	}
}

// mulRow is mulRows2 for one row, with the same arithmetic.
func mulRow(ya, xa, w []float32, n, j0 int) {
	m := len(ya)
	for i := 0; i+4 <= len(xa); i += 4 {
		a0, a1, a2, a3 := xa[i], xa[i+1], xa[i+2], xa[i+3]
		w0 := w[i*n+j0:][:m]
		w1 := w[(i+1)*n+j0:][:len(w0)]
		w2 := w[(i+2)*n+j0:][:len(w0)]
		w3 := w[(i+3)*n+j0:][:len(w0)]
		y0 := ya[:len(w0)]
		for j, p := range w0 {
			q, r, s := w1[j], w2[j], w3[j]
			y0[j] += a0*p + a1*q + a2*r + a3*s
		}
	}
}

// add sets y += x element-wise.
func add(y, x []float32) {
	x = x[:len(y)]
	for i := range y {
		y[i] += x[i]
	}
}

// matMulSparse is matMul for an x that is mostly zeros (the ReLU output the
// feed-forward blocks' conv2 reads, where about 92% of the elements are 0):
// each row of y sums only the rows of w that its row of x does not zero,
// four at a time. idx is scratch of at least k elements.
func matMulSparse(y, x, w, bias []float32, rows, k, n int, idx []int32) {
	y = y[:rows*n]
	clear(y)
	for r := range rows {
		xr := x[r*k : (r+1)*k]
		nz := idx[:0]
		for i, v := range xr {
			if v != 0 {
				nz = append(nz, int32(i))
			}
		}
		yr := y[r*n : (r+1)*n]
		g := 0
		for ; g+4 <= len(nz); g += 4 {
			i0, i1, i2, i3 := int(nz[g]), int(nz[g+1]), int(nz[g+2]), int(nz[g+3])
			a0, a1, a2, a3 := xr[i0], xr[i1], xr[i2], xr[i3]
			w0 := w[i0*n:][:n]
			w1 := w[i1*n:][:len(w0)]
			w2 := w[i2*n:][:len(w0)]
			w3 := w[i3*n:][:len(w0)]
			yr := yr[:len(w0)]
			for j, p := range w0 {
				yr[j] += a0*p + a1*w1[j] + a2*w2[j] + a3*w3[j]
			}
		}
		for ; g < len(nz); g++ {
			i0 := int(nz[g])
			a0 := xr[i0]
			w0 := w[i0*n:][:n]
			yr := yr[:len(w0)]
			for j, p := range w0 {
				yr[j] += a0 * p
			}
		}
		add(yr, bias)
	}
}

package metrics

// kern24x8Go is the portable form of the micro-kernel: for 24 columns of A
// and the 8 columns of one packed B panel it adds
// c[j*ldc+i] += sum_r b[r*8+j] * a[(i/8)*ps + r*rs + i%8].
func kern24x8Go(kc int, a []float64, ps, rs int, b []float64, c []float64, ldc int) {
	var acc [8][24]float64
	for r := 0; r < kc; r++ {
		br := b[r*8 : r*8+8]
		for p := 0; p < 3; p++ {
			ar := a[p*ps+r*rs : p*ps+r*rs+8]
			for j, bj := range br {
				row := acc[j][p*8 : p*8+8]
				for i, ai := range ar {
					row[i] += bj * ai
				}
			}
		}
	}
	for j := range acc {
		row := c[j*ldc : j*ldc+24]
		for i, v := range acc[j] {
			row[i] += v
		}
	}
}

// dotGo is the portable inner product, with four partial sums.
func dotGo(x, y []float64) float64 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] * y[i]
		s1 += x[i+1] * y[i+1]
		s2 += x[i+2] * y[i+2]
		s3 += x[i+3] * y[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// dotAxpyGo is the portable form of dotAxpy.
func dotAxpyGo(a, x, y []float64, alpha float64) float64 {
	x, y = x[:len(a)], y[:len(a)]
	var s float64
	for i, v := range a {
		s += v * x[i]
		y[i] += alpha * v
	}
	return s
}

// axpyGo is the portable form of axpy.
func axpyGo(alpha float64, x, y []float64) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * v
	}
}

// reflRowsGo is the portable form of reflRows.
func reflRowsGo(rows int, a []float64, ld int, v []float64, alpha float64) {
	for i := range rows {
		row := a[i*ld : i*ld+len(v)]
		axpy(alpha*dot(row, v), v, row)
	}
}

// reflColsGo is the portable form of reflCols.
func reflColsGo(rows int, a []float64, ld int, v []float64, n int, alpha float64, acc []float64) {
	acc = acc[:n]
	clear(acc)
	for i := range rows {
		axpy(v[i], a[i*ld:i*ld+n], acc)
	}
	for i := range rows {
		axpy(alpha*v[i], acc, a[i*ld:i*ld+n])
	}
}

// symvLowerGo is the portable form of symvLower.
func symvLowerGo(a []float64, ld int, v, y []float64) {
	for i := range v {
		row := a[i*ld : i*ld+i+1]
		y[i] += row[i]*v[i] + dotAxpy(row[:i], v[:i], y[:i], v[i])
	}
}

// syr2LowerGo is the portable form of syr2Lower.
func syr2LowerGo(a []float64, ld int, v, w []float64) {
	for i := range v {
		row := a[i*ld : i*ld+i+1]
		axpy(-v[i], w[:i+1], row)
		axpy(-w[i], v[:i+1], row)
	}
}

package metrics

// kern24x8Go is the portable form of the packed micro-kernel: for the
// 24 columns of three consecutive A panels and the 8 columns of one B panel
// it adds c[j*ldc+i] += sum_r b[r*8+j] * a[(i/8)*lda + r*8 + i%8].
func kern24x8Go(kc int, a []float64, lda int, b []float64, c []float64, ldc int) {
	var acc [8][24]float64
	for r := 0; r < kc; r++ {
		br := b[r*8 : r*8+8]
		for p := 0; p < 3; p++ {
			ar := a[p*lda+r*8 : p*lda+r*8+8]
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

// symv4Go is the portable form of symv4.
func symv4Go(a *[4][]float64, x, y []float64, xs *[4]float64) (dots [4]float64) {
	for j := range x {
		xj := x[j]
		a0, a1, a2, a3 := a[0][j], a[1][j], a[2][j], a[3][j]
		dots[0] += a0 * xj
		dots[1] += a1 * xj
		dots[2] += a2 * xj
		dots[3] += a3 * xj
		y[j] += a0*xs[0] + a1*xs[1] + a2*xs[2] + a3*xs[3]
	}
	return dots
}

package augment

// torchSum adds x in float32 in the order torch 1.13's sum kernel uses on
// a contiguous float32 row with AVX2 (eight-float vectors, four in flight,
// partial sums cascaded in levels of 16 rows so that long sums keep their
// precision, then the scalar tail and the eight lanes in order). It was
// written from the observable behaviour and the kernel's published design
// and checked bit for bit against torch on the contrast fixtures (42 and
// 1024 values); torch built for other vector widths would add in another
// order.
func torchSum(x []float32) float32 {
	const lanes, ilp = 8, 4
	nvec := len(x) / lanes
	rows := nvec / ilp

	var vec [lanes]float32
	if nvec > 0 {
		part := multiRowSum(x, rows)
		for v := rows * ilp; v < nvec; v++ {
			for l := 0; l < lanes; l++ {
				part[0][l] += x[v*lanes+l]
			}
		}
		for k := 1; k < ilp; k++ {
			for l := 0; l < lanes; l++ {
				part[0][l] += part[k][l]
			}
		}
		vec = part[0]
	}
	var acc float32
	for i := nvec * lanes; i < len(x); i++ {
		acc += x[i]
	}
	for l := 0; l < lanes; l++ {
		acc += vec[l]
	}
	return acc
}

// multiRowSum is ATen's multi_row_sum over rows of four 8-float vectors.
func multiRowSum(x []float32, rows int) [4][8]float32 {
	const levels = 4
	power := max(4, ceilLog2(rows)/levels)
	step := 1 << power
	mask := step - 1
	var acc [levels][4][8]float32
	i := 0
	for i+step <= rows {
		for j := 0; j < step; j, i = j+1, i+1 {
			addRow(&acc[0], x[i*32:(i+1)*32])
		}
		for j := 1; j < levels; j++ {
			for k := range acc[j] {
				for l := range acc[j][k] {
					acc[j][k][l] += acc[j-1][k][l]
					acc[j-1][k][l] = 0
				}
			}
			if i&(mask<<(j*power)) != 0 {
				break
			}
		}
	}
	for ; i < rows; i++ {
		addRow(&acc[0], x[i*32:(i+1)*32])
	}
	for j := 1; j < levels; j++ {
		for k := range acc[0] {
			for l := range acc[0][k] {
				acc[0][k][l] += acc[j][k][l]
			}
		}
	}
	return acc[0]
}

func addRow(acc *[4][8]float32, row []float32) {
	for k := 0; k < 4; k++ {
		for l := 0; l < 8; l++ {
			acc[k][l] += row[k*8+l]
		}
	}
}

func ceilLog2(n int) int {
	if n <= 1 {
		return 0
	}
	b := 0
	for v := n - 1; v > 0; v >>= 1 {
		b++
	}
	return b
}

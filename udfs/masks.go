package udfs

// Mask helpers. All masks are row-major sy×sx float32 slices (pixel (y, x) at index
// y*sx+x) and follow the reference's pixel conventions:
//
//   - a pixel's coordinates are its integer row and column indices; the centre (cy, cx)
//     may be fractional and may lie outside the frame;
//   - distances are compared squared, in float64: dy = y − cy, dx = x − cx, and a pixel
//     is inside a disk of radius r when dy² + dx² ≤ r² (the boundary is included);
//   - a ring with outer radius r and inner radius ri selects ri² < d² ≤ r²: the inner
//     boundary is excluded, the outer one included, so a ring with ri = 0 excludes the
//     centre pixel when the centre is a pixel;
//   - r = +Inf selects every pixel;
//   - gradients hold the row (GradientY) or column (GradientX) index of each pixel.
//
// The reference's mask functions take (centerX, centerY, imageSizeX, imageSizeY); here
// every argument is ordered y before x, like the arrays.

// inDisk reports whether pixel (y, x) lies within radius r of (cy, cx).
func inDisk(y, x int, cy, cx, r float64) bool {
	dy := float64(y) - cy
	dx := float64(x) - cx
	return dy*dy+dx*dx <= r*r
}

// Disk returns a sy×sx mask that is 1 where (y−cy)² + (x−cx)² ≤ r² and 0 elsewhere.
func Disk(sy, sx int, cy, cx, r float64) []float32 {
	m := make([]float32, sy*sx)
	for y := 0; y < sy; y++ {
		for x := 0; x < sx; x++ {
			if inDisk(y, x, cy, cx, r) {
				m[y*sx+x] = 1
			}
		}
	}
	return m
}

// Ring returns a sy×sx mask that is 1 where ri² < (y−cy)² + (x−cx)² ≤ r² and 0
// elsewhere (the reference's disk of radius r minus its disk of radius ri).
func Ring(sy, sx int, cy, cx, r, ri float64) []float32 {
	m := make([]float32, sy*sx)
	for y := 0; y < sy; y++ {
		for x := 0; x < sx; x++ {
			if inDisk(y, x, cy, cx, r) && !inDisk(y, x, cy, cx, ri) {
				m[y*sx+x] = 1
			}
		}
	}
	return m
}

// Point returns a sy×sx mask that is 1 at pixel (cy, cx) and 0 elsewhere; a pixel
// outside the frame gives an all-zero mask.
func Point(sy, sx, cy, cx int) []float32 {
	m := make([]float32, sy*sx)
	if cy >= 0 && cy < sy && cx >= 0 && cx < sx {
		m[cy*sx+cx] = 1
	}
	return m
}

// GradientY returns a sy×sx mask holding each pixel's row index y.
func GradientY(sy, sx int) []float32 {
	m := make([]float32, sy*sx)
	for y := 0; y < sy; y++ {
		for x := 0; x < sx; x++ {
			m[y*sx+x] = float32(y)
		}
	}
	return m
}

// GradientX returns a sy×sx mask holding each pixel's column index x.
func GradientX(sy, sx int) []float32 {
	m := make([]float32, sy*sx)
	for y := 0; y < sy; y++ {
		for x := 0; x < sx; x++ {
			m[y*sx+x] = float32(x)
		}
	}
	return m
}

package blas

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// impls runs f with the pure-Go path and, when a native library loads, with
// it. Tests using it must not run in parallel.
func impls(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	saved := forceGo
	defer func() { forceGo = saved }()
	forceGo = true
	t.Run("pure-go", f)
	forceGo = false
	if !Available() {
		t.Logf("native BLAS not loaded (%v): native path skipped", LoadError())
		return
	}
	t.Run("native", f)
}

type gemmCase struct {
	transA, transB bool
	m, n, k        int
	padA, padB     int // extra columns in the leading dimensions
	padC           int
	alpha, beta    float64
}

func gemmCases() []gemmCase {
	var cs []gemmCase
	for _, ta := range []bool{false, true} {
		for _, tb := range []bool{false, true} {
			for _, d := range [][3]int{{1, 1, 1}, {3, 5, 7}, {16, 4, 100}, {33, 17, 65}, {0, 3, 4}, {4, 0, 2}, {5, 3, 0}} {
				cs = append(cs,
					gemmCase{ta, tb, d[0], d[1], d[2], 0, 0, 0, 1, 0},
					gemmCase{ta, tb, d[0], d[1], d[2], 2, 3, 1, 2, -1},
					gemmCase{ta, tb, d[0], d[1], d[2], 0, 0, 0, 1, 1},
				)
			}
		}
	}
	return cs
}

func (c gemmCase) String() string {
	return fmt.Sprintf("tA=%v tB=%v m=%d n=%d k=%d pad=%d,%d,%d alpha=%v beta=%v", c.transA, c.transB, c.m, c.n, c.k, c.padA, c.padB, c.padC, c.alpha, c.beta)
}

// operands builds integer-valued row-major operands (exact in float32 for
// these sizes) and the expected C by a direct triple loop.
func (c gemmCase) operands(rng *rand.Rand) (a []float64, lda int, b []float64, ldb int, cm []float64, ldc int, want []float64) {
	ra, ca := c.m, c.k
	if c.transA {
		ra, ca = c.k, c.m
	}
	rb, cb := c.k, c.n
	if c.transB {
		rb, cb = c.n, c.k
	}
	lda, ldb, ldc = max(1, ca+c.padA), max(1, cb+c.padB), max(1, c.n+c.padC)
	fill := func(n int) []float64 {
		x := make([]float64, n)
		for i := range x {
			x[i] = float64(rng.IntN(9) - 4)
		}
		return x
	}
	a, b, cm = fill(ra*lda), fill(rb*ldb), fill(c.m*ldc)
	at := func(i, l int) float64 {
		if c.transA {
			return a[l*lda+i]
		}
		return a[i*lda+l]
	}
	bt := func(l, j int) float64 {
		if c.transB {
			return b[j*ldb+l]
		}
		return b[l*ldb+j]
	}
	want = append([]float64(nil), cm...)
	for i := 0; i < c.m; i++ {
		for j := 0; j < c.n; j++ {
			var s float64
			for l := 0; l < c.k; l++ {
				s += at(i, l) * bt(l, j)
			}
			want[i*ldc+j] = c.alpha*s + c.beta*cm[i*ldc+j]
		}
	}
	return a, lda, b, ldb, cm, ldc, want
}

func f32(x []float64) []float32 {
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = float32(v)
	}
	return y
}

func TestGemm(t *testing.T) {
	impls(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		for _, c := range gemmCases() {
			a, lda, b, ldb, cm, ldc, want := c.operands(rng)
			c64 := append([]float64(nil), cm...)
			Dgemm(c.transA, c.transB, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, c64, ldc)
			c32 := f32(cm)
			Sgemm(c.transA, c.transB, c.m, c.n, c.k, float32(c.alpha), f32(a), lda, f32(b), ldb, float32(c.beta), c32, ldc)
			for i := range want {
				if c64[i] != want[i] || float64(c32[i]) != want[i] {
					t.Fatalf("%v: C[%d]: Dgemm %v, Sgemm %v, want %v", c, i, c64[i], c32[i], want[i])
				}
			}
		}
	})
}

func TestGemmPanics(t *testing.T) {
	cases := []struct {
		name, msg string
		f         func()
	}{
		{"negative", "negative dimension", func() { Sgemm(false, false, -1, 1, 1, 1, nil, 1, nil, 1, 0, nil, 1) }},
		{"lda", "lda = 2, want ≥ 3", func() {
			Sgemm(false, false, 2, 2, 3, 1, make([]float32, 6), 2, make([]float32, 6), 2, 0, make([]float32, 4), 2)
		}},
		{"short a", "len(a) = 5", func() {
			Sgemm(false, false, 2, 2, 3, 1, make([]float32, 5), 3, make([]float32, 6), 2, 0, make([]float32, 4), 2)
		}},
		{"short b", "len(b) = 3", func() {
			Dgemm(false, true, 2, 2, 3, 1, make([]float64, 6), 3, make([]float64, 3), 3, 0, make([]float64, 4), 2)
		}},
		{"short c", "len(c) = 3", func() {
			Dgemm(false, false, 2, 2, 3, 1, make([]float64, 6), 3, make([]float64, 6), 2, 0, make([]float64, 3), 2)
		}},
		{"ldc", "ldc = 1, want ≥ 2", func() {
			Dgemm(false, false, 2, 2, 3, 1, make([]float64, 6), 3, make([]float64, 6), 2, 0, make([]float64, 4), 1)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if r == nil || !strings.Contains(fmt.Sprint(r), c.msg) {
					t.Errorf("panic %v, want one containing %q", r, c.msg)
				}
			}()
			c.f()
		})
	}
}

func TestNameAndThreads(t *testing.T) {
	saved := forceGo
	defer func() { forceGo = saved }()
	forceGo = true
	if Available() || Name() != "pure Go (gonum, stemflow kernels)" {
		t.Errorf("forced fallback: Available() = %v, Name() = %q", Available(), Name())
	}
	SetThreads(1) // must be a no-op without a library
	forceGo = false
	if !Available() {
		if !errors.Is(LoadError(), ErrNoLibrary) {
			t.Errorf("LoadError() = %v, want ErrNoLibrary", LoadError())
		}
		t.Skipf("no native BLAS: %v", LoadError())
	}
	if LoadError() != nil {
		t.Errorf("library loaded but LoadError() = %v", LoadError())
	}
	if n := Name(); !strings.Contains(n, "(") || strings.HasPrefix(n, "gonum") {
		t.Errorf("Name() = %q, want the library and its path", n)
	}
	t.Log(Name())
	SetThreads(2)
	SetThreads(1)
	// A product after changing threads still works.
	c := []float32{0}
	Sgemm(false, false, 1, 1, 2, 1, []float32{1, 2}, 2, []float32{3, 4}, 1, 0, c, 1)
	if c[0] != 11 {
		t.Errorf("1×2 · 2×1 = %v, want 11", c[0])
	}
}

// TestGemmConcurrent calls Sgemm from several goroutines at once, as the
// engine's workers do.
func TestGemmConcurrent(t *testing.T) {
	impls(t, func(t *testing.T) {
		const m, n, k, workers = 8, 16, 700, 4
		a, b := make([]float32, m*k), make([]float32, n*k)
		for i := range a {
			a[i] = float32(i%7 - 3)
		}
		for i := range b {
			b[i] = float32(i%5 - 2)
		}
		want := make([]float32, m*n)
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				var s float32
				for p := 0; p < k; p++ {
					s += a[i*k+p] * b[j*k+p]
				}
				want[i*n+j] = s
			}
		}
		errs := make(chan error, workers)
		for w := 0; w < workers; w++ {
			go func() {
				c := make([]float32, m*n)
				for rep := 0; rep < 20; rep++ {
					Sgemm(false, true, m, n, k, 1, a, k, b, k, 0, c, n)
					for i := range c {
						if c[i] != want[i] {
							errs <- fmt.Errorf("C[%d] = %v, want %v", i, c[i], want[i])
							return
						}
					}
				}
				errs <- nil
			}()
		}
		for w := 0; w < workers; w++ {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
	})
}

// TestSetThreadsDoesNotLoad checks, in a fresh process (the test binary run
// again for this test alone), that SetThreads leaves the library unloaded — a
// run whose products all take pure-Go paths must not pay for loading it and
// starting its threads — and that the first product loads it afterwards.
func TestSetThreadsDoesNotLoad(t *testing.T) {
	if os.Getenv("STEMFLOW_BLAS_CHILD") == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSetThreadsDoesNotLoad$", "-test.v")
		cmd.Env = append(os.Environ(), "STEMFLOW_BLAS_CHILD=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "child ok") {
			t.Fatalf("child process: %v\n%s", err, out)
		}
		return
	}
	SetThreads(2)
	SetThreads(1)
	if isLoaded.Load() {
		t.Fatal("SetThreads loaded the library")
	}
	c := []float32{0}
	Sgemm(false, false, 1, 1, 2, 1, []float32{1, 2}, 2, []float32{3, 4}, 1, 0, c, 1)
	if c[0] != 11 {
		t.Fatalf("1×2 · 2×1 = %v, want 11", c[0])
	}
	if !isLoaded.Load() {
		t.Fatal("a product did not load the library")
	}
	t.Log("child ok")
}

package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/internal/render"
	"github.com/stemflow/stemflow/internal/sample"
)

// binPath is the stemflow binary built once by TestMain.
var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "stemflow-cli-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "stemflow")
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	build := exec.Command(goBin, "build", "-o", binPath, ".")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building stemflow: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// outcome is what one run of the binary did.
type outcome struct {
	code           int
	stdout, stderr string
}

// stemflow runs the binary in dir (the test's temp dir when empty) with args.
func stemflow(t *testing.T, dir string, args ...string) outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, args...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("stemflow %q: %v", args, err)
		}
		code = ee.ExitCode()
	}
	return outcome{code, out.String(), errb.String()}
}

// mustRun runs the binary and fails the test unless it exits 0.
func mustRun(t *testing.T, dir string, args ...string) outcome {
	t.Helper()
	o := stemflow(t, dir, args...)
	if o.code != 0 {
		t.Fatalf("stemflow %q: exit %d\nstderr: %s", args, o.code, o.stderr)
	}
	return o
}

// fixture is a small sample dataset shared by the tests: a non-square scan of
// non-square frames, so that swapped axes show.
type fixture struct {
	dir        string
	npy        string
	ny, nx     int
	sy, sx     int
	data       []float32 // C order (ny, nx, sy, sx)
	frameCount int
}

func (f *fixture) frame(i int) []float32 {
	n := f.sy * f.sx
	return f.data[i*n : (i+1)*n]
}

var fix *fixture

// getFixture writes the sample with the binary (once) and reads it back.
func getFixture(t *testing.T) *fixture {
	t.Helper()
	if fix != nil {
		return fix
	}
	dir, err := os.MkdirTemp("", "stemflow-fixture")
	if err != nil {
		t.Fatal(err)
	}
	mustRun(t, dir, "sample", "--nav-shape", "8,6", "--sig-shape", "16,12", dir)
	f := &fixture{dir: dir, npy: filepath.Join(dir, "sample.npy"), ny: 8, nx: 6, sy: 16, sx: 12}
	a, err := array.ReadNPYFile(f.npy)
	if err != nil {
		t.Fatal(err)
	}
	f.data = a.(*array.Dense[float32]).Contiguous().Data()
	f.frameCount = f.ny * f.nx
	fix = f
	return f
}

// readNPY reads a result file as float64 values and its shape.
func readNPY(t *testing.T, path string) ([]float64, []int) {
	t.Helper()
	a, err := array.ReadNPYFile(path)
	if err != nil {
		t.Fatal(err)
	}
	v, err := render.Float64s(a)
	if err != nil {
		t.Fatal(err)
	}
	return v, a.Shape()
}

// closeTo compares with a relative tolerance; NaN equals NaN.
func closeTo(got, want, rel float64) bool {
	if math.IsNaN(got) || math.IsNaN(want) {
		return math.IsNaN(got) && math.IsNaN(want)
	}
	return math.Abs(got-want) <= rel*math.Max(1, math.Max(math.Abs(got), math.Abs(want)))
}

// checkValues compares a result file with expected values and shape.
func checkValues(t *testing.T, path string, shape []int, want []float64, rel float64) {
	t.Helper()
	got, gotShape := readNPY(t, path)
	if !equalInts(gotShape, shape) {
		t.Fatalf("%s: shape %v, want %v", path, gotShape, shape)
	}
	for i := range want {
		if !closeTo(got[i], want[i], rel) {
			t.Fatalf("%s: element %d = %v, want %v", path, i, got[i], want[i])
		}
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func TestSampleCommand(t *testing.T) {
	dir := t.TempDir()
	o := mustRun(t, dir, "sample", dir) // default: 32×32 scan of 64×64 frames
	if !strings.Contains(o.stdout, "sample.npy") {
		t.Errorf("stdout %q does not name the file", o.stdout)
	}
	a, err := array.ReadNPYFile(filepath.Join(dir, "sample.npy"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := sample.Generate(sample.DefaultScene)
	if err != nil {
		t.Fatal(err)
	}
	got := a.(*array.Dense[float32])
	if !equalInts(got.Shape(), []int{32, 32, 64, 64}) {
		t.Fatalf("shape %v, want [32 32 64 64]", got.Shape())
	}
	for i, v := range got.Contiguous().Data() {
		if v != want[i] {
			t.Fatalf("element %d = %v, want %v", i, v, want[i])
		}
	}
	// flags after DIR, a folder that does not exist yet
	sub := filepath.Join(dir, "a", "b")
	mustRun(t, dir, "sample", sub, "--nav-shape", "4,5", "--sig-shape=8,9")
	a, err = array.ReadNPYFile(filepath.Join(sub, "sample.npy"))
	if err != nil || !equalInts(a.Shape(), []int{4, 5, 8, 9}) {
		t.Fatalf("sample with shapes: %v, %v", a, err)
	}
	entries, _ := os.ReadDir(sub)
	if len(entries) != 1 {
		t.Errorf("sample left %d files, want only sample.npy", len(entries))
	}
}

// The values of every spec against direct loops over the fixture's frames.
func TestRunSpecsDirect(t *testing.T) {
	f := getFixture(t)
	dir := t.TempDir()
	masks := make([]float32, 2*f.sy*f.sx)
	for p := 0; p < f.sy*f.sx; p++ {
		masks[p] = float32(p % 3)                  // mask 0
		masks[f.sy*f.sx+p] = float32(p/f.sx) * 0.5 // mask 1: half the row index
	}
	mfile := filepath.Join(dir, "m.npy")
	if err := array.WriteNPYFile(mfile, array.Wrap(masks, 2, f.sy, f.sx)); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	o := mustRun(t, dir, "run", f.npy, "--out", out,
		"--udf", "sum", "--udf", "sumsig", "--udf", "stddev", "--udf", "logsum",
		"--udf", "pick:y=3,x=4", "--udf", "masks:file="+mfile,
		"--udf", "disk:cy=8,cx=6,r=4", "--udf", "ring:cy=8,cx=5.5,ri=2,ro=5", "--udf", "com",
		"--udf", "sum")
	if !strings.Contains(o.stdout, filepath.Join(out, "sum", "intensity.npy")) {
		t.Errorf("stdout does not list the written files: %q", o.stdout)
	}
	nf, fs := f.frameCount, f.sy*f.sx
	sum := make([]float64, fs)
	sumsig := make([]float64, nf)
	logsum := make([]float64, fs)
	masked := make([]float64, nf*2)
	disk := make([]float64, nf)
	ring := make([]float64, nf)
	comY, comX := make([]float64, nf), make([]float64, nf)
	for i := 0; i < nf; i++ {
		fr := f.frame(i)
		lo := math.Inf(1)
		for _, v := range fr {
			lo = math.Min(lo, float64(v))
		}
		var tot, my, mx float64
		for p, v32 := range fr {
			v := float64(v32)
			y, x := float64(p/f.sx), float64(p%f.sx)
			sum[p] += v
			sumsig[i] += v
			logsum[p] += math.Log(v - lo + 1)
			masked[2*i] += v * float64(masks[p])
			masked[2*i+1] += v * float64(masks[fs+p])
			if d2 := (y-8)*(y-8) + (x-6)*(x-6); d2 <= 16 {
				disk[i] += v
			}
			if d2 := (y-8)*(y-8) + (x-5.5)*(x-5.5); d2 > 4 && d2 <= 25 {
				ring[i] += v
			}
			tot += v
			my += v * y
			mx += v * x
		}
		comY[i], comX[i] = my/tot-float64(f.sy/2), mx/tot-float64(f.sx/2)
	}
	mean := make([]float64, fs)
	std := make([]float64, fs)
	for p := range mean {
		mean[p] = sum[p] / float64(nf)
		for i := 0; i < nf; i++ {
			d := float64(f.frame(i)[p]) - mean[p]
			std[p] += d * d
		}
		std[p] = math.Sqrt(std[p] / float64(nf))
	}
	pick := make([]float64, fs)
	for p, v := range f.frame(3*f.nx + 4) {
		pick[p] = float64(v)
	}
	nav, sig := []int{f.ny, f.nx}, []int{f.sy, f.sx}
	tests := []struct {
		file  string
		shape []int
		want  []float64
		rel   float64
	}{
		{"sum/intensity.npy", sig, sum, 1e-6},
		{"sum-2/intensity.npy", sig, sum, 1e-6},
		{"sumsig/intensity.npy", nav, sumsig, 1e-6},
		{"stddev/mean.npy", sig, mean, 1e-6},
		{"stddev/std.npy", sig, std, 1e-5},
		{"stddev/sum.npy", sig, sum, 1e-6},
		{"stddev/num_frames.npy", []int{1}, []float64{float64(nf)}, 0},
		{"logsum/logsum.npy", sig, logsum, 1e-5},
		{"pick/intensity.npy", []int{1, f.sy, f.sx}, pick, 0},
		{"masks/intensity.npy", []int{f.ny, f.nx, 2}, masked, 1e-5},
		{"disk/intensity.npy", []int{f.ny, f.nx, 1}, disk, 1e-6},
		{"ring/intensity.npy", []int{f.ny, f.nx, 1}, ring, 1e-6},
		{"com/field_y.npy", nav, comY, 1e-4},
		{"com/field_x.npy", nav, comX, 1e-4},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			checkValues(t, filepath.Join(out, tc.file), tc.shape, tc.want, tc.rel)
		})
	}
	pictures := []string{
		"sum/intensity.png", "sumsig/intensity.png", "stddev/std.png", "stddev/var.png", "stddev/mean.png",
		"logsum/logsum.png", "pick/intensity.png", "masks/intensity-0.png", "masks/intensity-1.png",
		"disk/intensity.png", "ring/intensity.png", "com/field.png", "com/field_y.png", "com/field-0.png",
		"com/field-1.png", "com/magnitude.png", "com/divergence.png", "com/curl.png", "com/raw_com-1.png",
		"com/regression.png",
	}
	for _, p := range pictures {
		if !exists(filepath.Join(out, p)) {
			t.Errorf("%s not written", p)
		}
	}
	for _, p := range []string{"masks/intensity.png", "stddev/num_frames.png", "com/raw_mask_result.npy"} {
		if exists(filepath.Join(out, p)) {
			t.Errorf("%s written, want none", p)
		}
	}
	if m, _ := filepath.Glob(filepath.Join(out, ".stemflow-partial*")); len(m) != 0 {
		t.Errorf("staging folders left: %v", m)
	}
}

// writeRaw writes the fixture as a headerless file of the given dtype and byte order.
func writeRaw(t *testing.T, path string, data []float32, conv func(float32) any, order binary.ByteOrder) {
	t.Helper()
	var b bytes.Buffer
	for _, v := range data {
		if err := binary.Write(&b, order, conv(v)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestRunFormatFlags(t *testing.T) {
	f := getFixture(t)
	dir := t.TempDir()
	rawF32 := filepath.Join(dir, "data.raw")
	writeRaw(t, rawF32, f.data, func(v float32) any { return v }, binary.LittleEndian)
	rawU16 := filepath.Join(dir, "data.bin")
	writeRaw(t, rawU16, f.data, func(v float32) any { return uint16(math.Round(float64(v))) }, binary.BigEndian)
	renamedNPY := filepath.Join(dir, "sample.dat")
	if b, err := os.ReadFile(f.npy); err != nil || os.WriteFile(renamedNPY, b, 0o644) != nil {
		t.Fatal("copy npy", err)
	}

	// sumsig over file frames shifted by the sync offset k: nav i shows frame i+k
	sumsig := func(k int, round bool) []float64 {
		out := make([]float64, f.frameCount)
		for i := range out {
			j := i + k
			if j < 0 || j >= f.frameCount {
				continue
			}
			for _, v := range f.frame(j) {
				if round {
					out[i] += math.Round(float64(v))
				} else {
					out[i] += float64(v)
				}
			}
		}
		return out
	}
	nav := []int{f.ny, f.nx}
	tests := []struct {
		name string
		args []string
		want []float64
	}{
		{"npy auto", []string{f.npy}, sumsig(0, false)},
		{"npy named", []string{"--format", "npy", renamedNPY}, sumsig(0, false)},
		{"npy format auto", []string{"--format=auto", f.npy}, sumsig(0, false)},
		{"raw float32", []string{rawF32, "--format", "raw", "--nav-shape", "8,6", "--sig-shape", "16,12", "--dtype", "float32"}, sumsig(0, false)},
		{"raw auto by extension", []string{rawF32, "--nav-shape", "8,6", "--sig-shape", "16,12", "--dtype", "<f4"}, sumsig(0, false)},
		{"raw big-endian uint16", []string{"--format=raw", "--nav-shape=8,6", "--sig-shape=16,12", "--dtype=>u2", rawU16}, sumsig(0, true)},
		{"raw uint16 numpy name", []string{"--format=raw", "--nav-shape=8,6", "--sig-shape=16,12", "--dtype=uint16", rawU16}, nil},
		{"sync offset +5", []string{rawF32, "--nav-shape", "8,6", "--sig-shape", "16,12", "--dtype", "float32", "--sync-offset", "5"}, sumsig(5, false)},
		{"sync offset -7", []string{rawF32, "--nav-shape", "8,6", "--sig-shape", "16,12", "--dtype", "float32", "--sync-offset=-7"}, sumsig(-7, false)},
		{"npy sync offset", []string{f.npy, "--sync-offset", "3"}, sumsig(3, false)},
		{"npy reshaped nav", []string{f.npy, "--nav-shape", "6,8"}, sumsig(0, false)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "o")
			mustRun(t, dir, append([]string{"run", "--udf", "sumsig", "--out", out}, tc.args...)...)
			shape := nav
			if tc.name == "npy reshaped nav" {
				shape = []int{6, 8}
			}
			if tc.want == nil { // native-endian uint16 read of big-endian data: just shape
				_, s := readNPY(t, filepath.Join(out, "sumsig", "intensity.npy"))
				if !equalInts(s, shape) {
					t.Fatalf("shape %v, want %v", s, shape)
				}
				return
			}
			checkValues(t, filepath.Join(out, "sumsig", "intensity.npy"), shape, tc.want, 1e-6)
		})
	}
}

func TestRunROI(t *testing.T) {
	f := getFixture(t)
	dir := t.TempDir()
	roi := make([]bool, f.frameCount)
	for i := range roi {
		roi[i] = i%3 == 0 || i == 7
	}
	nav := filepath.Join(dir, "roi.npy")
	if err := array.WriteNPYFile(nav, array.Wrap(roi, f.ny, f.nx)); err != nil {
		t.Fatal(err)
	}
	flat := filepath.Join(dir, "flat.npy")
	ints := make([]int32, len(roi))
	for i, v := range roi {
		if v {
			ints[i] = int32(i + 1)
		}
	}
	if err := array.WriteNPYFile(flat, array.Wrap(ints, len(ints))); err != nil {
		t.Fatal(err)
	}
	sum := make([]float64, f.sy*f.sx)
	sumsig := make([]float64, f.frameCount)
	for i := range roi {
		if !roi[i] {
			sumsig[i] = math.NaN()
			continue
		}
		for p, v := range f.frame(i) {
			sum[p] += float64(v)
			sumsig[i] += float64(v)
		}
	}
	for _, file := range []string{nav, flat} {
		t.Run(filepath.Base(file), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "o")
			mustRun(t, dir, "run", f.npy, "--roi", file, "--udf", "sum", "--udf", "sumsig", "--udf", "com", "--out", out)
			checkValues(t, filepath.Join(out, "sum", "intensity.npy"), []int{f.sy, f.sx}, sum, 1e-6)
			checkValues(t, filepath.Join(out, "sumsig", "intensity.npy"), []int{f.ny, f.nx}, sumsig, 1e-6)
			fy, _ := readNPY(t, filepath.Join(out, "com", "field_y.npy"))
			for i := range roi {
				if math.IsNaN(fy[i]) == roi[i] {
					t.Fatalf("com field_y[%d] = %v with roi %v: want NaN exactly outside the ROI", i, fy[i], roi[i])
				}
			}
		})
	}
}

// The CLI's results equal the Go API's on the same input, bit for bit (same
// partition count), and worker count, inline mode and flag order do not change them.
func TestRunEqualsGoAPI(t *testing.T) {
	f := getFixture(t)
	dir := t.TempDir()
	specs := []string{"sum", "sumsig", "stddev", "logsum", "disk:cy=7,cx=5,r=3.5", "ring:cy=7,cx=5,ri=1,ro=4",
		"com:cy=7,cx=5,r=6,rotation=30,flip_y=true,regression=1", "com:ri=1,r=7,regression=0"}
	var args []string
	for _, s := range specs {
		args = append(args, "--udf", s)
	}
	runs := map[string][]string{
		"default":   {"--partitions", "3"},
		"workers 1": {"--partitions", "3", "--workers", "1"},
		"inline":    {"--partitions=3", "--inline"},
	}
	apiResults := goAPIResults(t, f.npy, 3)
	for name, extra := range runs {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "o")
			mustRun(t, dir, append(append(append([]string{"run", f.npy}, args...), "--out", out), extra...)...)
			for file, want := range apiResults {
				got, shape := readNPY(t, filepath.Join(out, file))
				if !equalInts(shape, want.shape) {
					t.Fatalf("%s: shape %v, Go API %v", file, shape, want.shape)
				}
				for i := range got {
					if got[i] != want.v[i] && !(math.IsNaN(got[i]) && math.IsNaN(want.v[i])) {
						t.Fatalf("%s[%d] = %v, Go API %v", file, i, got[i], want.v[i])
					}
				}
			}
		})
	}
}

func TestRunOutputFlags(t *testing.T) {
	f := getFixture(t)
	dir := t.TempDir()
	// default --out is ./stemflow-out
	o := mustRun(t, dir, "run", f.npy)
	if !exists(filepath.Join(dir, "stemflow-out", "sum", "intensity.npy")) || !exists(filepath.Join(dir, "stemflow-out", "sum", "intensity.png")) {
		t.Fatalf("default output missing; stdout %q", o.stdout)
	}
	// stderr is a pipe: no progress bar unless asked for
	if o.stderr != "" {
		t.Errorf("stderr without --progress: %q", o.stderr)
	}
	o = mustRun(t, dir, "run", f.npy, "--progress", "--out", "p")
	if !strings.Contains(o.stderr, "100%") || !strings.Contains(o.stderr, "B/s") {
		t.Errorf("--progress stderr %q lacks a full bar with throughput", o.stderr)
	}
	o = mustRun(t, dir, "run", f.npy, "--progress=false", "--out", "q")
	if o.stderr != "" {
		t.Errorf("--progress=false stderr: %q", o.stderr)
	}
	// --log changes the pictures, not the arrays
	mustRun(t, dir, "run", f.npy, "--log", "--out", "log")
	lin, _ := os.ReadFile(filepath.Join(dir, "stemflow-out", "sum", "intensity.png"))
	lg, _ := os.ReadFile(filepath.Join(dir, "log", "sum", "intensity.png"))
	if len(lin) == 0 || bytes.Equal(lin, lg) {
		t.Error("--log picture equals the linear one")
	}
	a, _ := os.ReadFile(filepath.Join(dir, "stemflow-out", "sum", "intensity.npy"))
	b, _ := os.ReadFile(filepath.Join(dir, "log", "sum", "intensity.npy"))
	if !bytes.Equal(a, b) {
		t.Error("--log changed the .npy result")
	}
}

func TestRunErrors(t *testing.T) {
	f := getFixture(t)
	dir := t.TempDir()
	rawF32 := filepath.Join(dir, "data.raw")
	writeRaw(t, rawF32, f.data, func(v float32) any { return v }, binary.LittleEndian)
	badROI := filepath.Join(dir, "roi.npy")
	array.WriteNPYFile(badROI, array.Zeros[bool](5, 5))
	badMask := filepath.Join(dir, "mask.npy")
	array.WriteNPYFile(badMask, array.Zeros[float32](2, 16, 11))
	notNPY := filepath.Join(dir, "junk.npy")
	os.WriteFile(notNPY, []byte("hello"), 0o644)
	datFile := filepath.Join(dir, "data.dat")
	os.WriteFile(datFile, make([]byte, 64), 0o644)
	threeD := filepath.Join(dir, "stack.npy")
	array.WriteNPYFile(threeD, array.Zeros[float32](4, 8, 8))
	tests := []struct {
		name    string
		args    []string
		code    int
		mention string
	}{
		{"unknown flag", []string{"run", f.npy, "--frobnicate"}, 2, "-frobnicate"},
		{"no file", []string{"run", "--udf", "sum"}, 2, "missing input FILE"},
		{"two files", []string{"run", f.npy, f.npy}, 2, "want one input FILE"},
		{"bad spec", []string{"run", f.npy, "--udf", "ring:cy=1,cx=1,ri=3,ro=2"}, 2, "0 ≤ ri < ro"},
		{"unknown udf", []string{"run", f.npy, "--udf", "fft"}, 2, `unknown UDF "fft"`},
		{"bad format", []string{"run", f.npy, "--format", "nosuchformat"}, 2, `--format "nosuchformat"`},
		{"bad dtype", []string{"run", rawF32, "--dtype", "float17", "--nav-shape", "8,6", "--sig-shape", "16,12"}, 2, "float17"},
		{"bad nav shape", []string{"run", f.npy, "--nav-shape", "8,x"}, 2, "positive integers"},
		{"negative workers", []string{"run", f.npy, "--workers", "-2"}, 2, "--workers"},
		{"missing file", []string{"run", filepath.Join(dir, "nope.npy")}, 1, "nope.npy"},
		{"not an npy", []string{"run", notNPY}, 1, "junk.npy"},
		{"raw without dtype", []string{"run", rawF32, "--nav-shape", "8,6", "--sig-shape", "16,12"}, 2, "missing --dtype"},
		{"raw without shape", []string{"run", rawF32, "--dtype", "float32"}, 2, "missing --nav-shape, --sig-shape"},
		{"raw extension unknown", []string{"run", datFile, "--dtype", "float32"}, 2, "--format raw"},
		{"workers too many", []string{"run", f.npy, "--workers", "9999999"}, 2, "--workers 9999999"},
		{"bad io", []string{"run", f.npy, "--io", "dma"}, 2, `--io "dma"`},
		{"raw shape larger than file", []string{"run", rawF32, "--dtype", "float32", "--nav-shape", "8,7", "--sig-shape", "16,12"}, 1, "data.raw"},
		{"npy sig reshape wrong size", []string{"run", f.npy, "--sig-shape", "10,10"}, 2, "--sig-shape [10 10]"},
		{"sync offset too large", []string{"run", f.npy, "--sync-offset", "48"}, 2, "--sync-offset 48"},
		{"bad roi shape", []string{"run", f.npy, "--roi", badROI}, 1, "roi.npy"},
		{"missing roi", []string{"run", f.npy, "--roi", filepath.Join(dir, "none.npy")}, 1, "none.npy"},
		{"bad mask shape", []string{"run", f.npy, "--udf", "masks:file=" + badMask}, 1, "mask.npy"},
		{"missing mask", []string{"run", f.npy, "--udf", "masks:file=" + filepath.Join(dir, "m0.npy")}, 1, "m0.npy"},
		{"pick outside", []string{"run", f.npy, "--udf", "pick:y=8,x=0"}, 1, "outside the scan"},
		{"com needs 2-D nav", []string{"run", threeD, "--udf", "com"}, 1, "CoM needs 2 nav dims"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "o")
			o := stemflow(t, dir, append(tc.args, "--out", out)...)
			if o.code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %q", o.code, tc.code, o.stderr)
			}
			if !strings.Contains(o.stderr, tc.mention) {
				t.Errorf("stderr %q does not mention %q", o.stderr, tc.mention)
			}
			if tc.code == 2 && (!strings.Contains(o.stderr, `"stemflow help run"`) || strings.Count(o.stderr, "\n") != 2) {
				t.Errorf("usage error is not one line + a pointer to the help: %q", o.stderr)
			}
			if tc.code == 1 && strings.Contains(o.stderr, "usage:") {
				t.Errorf("run error printed the usage: %q", o.stderr)
			}
			if exists(out) {
				t.Errorf("failed run left the output folder %s", out)
			}
		})
	}
}

// An interrupted run exits 130 and leaves no result file: SIGINT arrives while a
// run over a 1 GiB file (sparse on disk) is part-way through — read with pread in
// small partitions, and mapped in 256 MiB partitions of tile UDFs, whose zero-copy
// tiles negotiation bounds (a whole-partition tile ran to its end before the run
// noticed the signal). The time from the signal to the exit is logged.
func TestRunInterrupt(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.raw")
	fh, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	const ny, nx, sy, sx = 256, 256, 64, 64 // float32: 1 GiB, sparse on disk
	if err := fh.Truncate(ny * nx * sy * sx * 4); err != nil {
		t.Fatal(err)
	}
	fh.Close()
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"pread", []string{"--udf", "logsum", "--udf", "stddev", "--udf", "sum", "--workers", "1", "--partitions", "64"}},
		{"mmap", []string{"--io", "mmap", "--udf", "stddev", "--udf", "sum", "--workers", "2", "--partitions", "4"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			os.MkdirAll(out, 0o755) // an existing folder: it must stay, empty
			args := append([]string{"run", big, "--nav-shape", "256,256", "--sig-shape", "64,64", "--dtype", "float32"}, tc.args...)
			cmd := exec.Command(binPath, append(args, "--progress", "--out", out)...)
			var stderr syncBuffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Wait until the bar shows that some partitions are done, so the signal
			// lands in the middle of the pass (the whole run takes seconds).
			started := regexp.MustCompile(`[1-9][0-9]?%`)
			deadline := time.Now().Add(60 * time.Second)
			for !started.MatchString(stderr.String()) && time.Now().Before(deadline) {
				time.Sleep(2 * time.Millisecond)
			}
			if !started.MatchString(stderr.String()) {
				cmd.Process.Kill()
				t.Fatalf("no progress within 60 s; stderr %q", stderr.String())
			}
			if err := cmd.Process.Signal(os.Interrupt); err != nil {
				t.Fatal(err)
			}
			at := time.Now()
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err = <-done:
			case <-time.After(60 * time.Second):
				cmd.Process.Kill()
				t.Fatal("run did not stop within 60 s of SIGINT")
			}
			t.Logf("SIGINT → exit %v", time.Since(at))
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			if code != exitInterrupt {
				t.Fatalf("exit %d after SIGINT, want 130; stderr %q", code, stderr.String())
			}
			if !strings.Contains(stderr.String(), "interrupted") {
				t.Errorf("stderr %q does not say it was interrupted", stderr.String())
			}
			var left []string
			filepath.Walk(out, func(p string, info os.FileInfo, err error) error {
				if p != out {
					left = append(left, p)
				}
				return nil
			})
			if len(left) != 0 {
				t.Errorf("interrupted run left %v", left)
			}
		})
	}
}

func TestInfo(t *testing.T) {
	f := getFixture(t)
	o := mustRun(t, f.dir, "info", f.npy, "--partitions", "4")
	for _, want := range []string{"[8 6 16 12]", "float32", "image_count: 48", "partitions: 4", "tiling"} {
		if !strings.Contains(o.stdout, want) {
			t.Errorf("info output lacks %q:\n%s", want, o.stdout)
		}
	}
	roi := filepath.Join(t.TempDir(), "roi.npy")
	sel := make([]bool, f.frameCount)
	for i := 0; i < 10; i++ {
		sel[i*3] = true
	}
	if err := array.WriteNPYFile(roi, array.Wrap(sel, f.ny, f.nx)); err != nil {
		t.Fatal(err)
	}
	o = mustRun(t, f.dir, "info", "--udf", "com", "--udf", "logsum", "--roi", roi, "--workers", "1", f.npy)
	for _, want := range []string{"udfs: com (tile), logsum (frame)", "roi: 10 of 48 positions", "(for 1 workers)", "input dtype: float32"} {
		if !strings.Contains(o.stdout, want) {
			t.Errorf("info output lacks %q:\n%s", want, o.stdout)
		}
	}
	if o := stemflow(t, f.dir, "info", f.npy, "--udf", "nope"); o.code != exitUsage {
		t.Errorf("info with a bad spec: exit %d, want 2", o.code)
	}
	o = stemflow(t, f.dir, "info", filepath.Join(f.dir, "nope.raw"), "--dtype", "float32", "--nav-shape", "2,2", "--sig-shape", "2,2")
	if o.code != 1 || !strings.Contains(o.stderr, "nope.raw") {
		t.Errorf("info on a missing file: exit %d, stderr %q", o.code, o.stderr)
	}
}

func TestGraph(t *testing.T) {
	f := getFixture(t)
	dir := t.TempDir()
	o := mustRun(t, dir, "graph", f.npy, "--udf", "sum", "--udf", "com", "--partitions", "2")
	if !strings.HasPrefix(strings.TrimSpace(o.stdout), "digraph") || !strings.Contains(o.stdout, "->") {
		t.Fatalf("graph stdout is not DOT:\n%s", o.stdout)
	}
	dot := filepath.Join(dir, "g.dot")
	mustRun(t, dir, "graph", "--out", dot, f.npy)
	b, err := os.ReadFile(dot)
	if err != nil || !strings.HasPrefix(strings.TrimSpace(string(b)), "digraph") {
		t.Fatalf("graph --out wrote %q, %v", b, err)
	}
	if _, err := exec.LookPath("dot"); err == nil && !exists(filepath.Join(dir, "g.svg")) {
		t.Error("Graphviz is installed but no g.svg was written")
	}
}

// A sparse raw_csr dataset (TOML descriptor plus three raw files) holding the
// fixture's frames with every value below 3 dropped.
func TestRunRawCSR(t *testing.T) {
	f := getFixture(t)
	dir := t.TempDir()
	var indptr, indices []int32
	var values []float32
	sumsig := make([]float64, f.frameCount)
	indptr = append(indptr, 0)
	for i := 0; i < f.frameCount; i++ {
		for p, v := range f.frame(i) {
			if v >= 3 {
				indices = append(indices, int32(p))
				values = append(values, v)
				sumsig[i] += float64(v)
			}
		}
		indptr = append(indptr, int32(len(indices)))
	}
	put := func(name string, data any, order binary.ByteOrder) {
		var b bytes.Buffer
		if err := binary.Write(&b, order, data); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	put("indptr.raw", indptr, binary.LittleEndian)
	put("coords.raw", indices, binary.BigEndian)
	put("values.raw", values, binary.LittleEndian)
	desc := `[params]
filetype = "raw_csr"
nav_shape = [8, 6]
sig_shape = [16, 12]

[raw_csr]
indptr_file = "indptr.raw"
indptr_dtype = "<i4"
indices_file = "coords.raw"
indices_dtype = ">i4"
data_file = "values.raw"
data_dtype = "<f4"
`
	toml := filepath.Join(dir, "sparse.toml")
	if err := os.WriteFile(toml, []byte(desc), 0o644); err != nil {
		t.Fatal(err)
	}
	renamed := filepath.Join(dir, "sparse.desc")
	if err := os.WriteFile(renamed, []byte(desc), 0o644); err != nil {
		t.Fatal(err)
	}
	o := mustRun(t, dir, "info", toml)
	if !strings.Contains(o.stdout, "raw_csr") {
		t.Errorf("info on raw_csr does not name the format:\n%s", o.stdout)
	}
	for _, args := range [][]string{{toml}, {"--format", "raw_csr", renamed}} {
		out := filepath.Join(t.TempDir(), "o")
		o = stemflow(t, dir, append([]string{"run", "--udf", "sumsig", "--udf", "sum", "--out", out}, args...)...)
		if o.code != 0 {
			t.Fatalf("exit %d: %s", o.code, o.stderr)
		}
		checkValues(t, filepath.Join(out, "sumsig", "intensity.npy"), []int{f.ny, f.nx}, sumsig, 1e-6)
	}
}

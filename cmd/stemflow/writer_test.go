package main

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/internal/render"
	"github.com/stemflow/stemflow/udf"
	"github.com/stemflow/stemflow/udfs"
)

// The concurrent writer stages every buffer's .npy (the same bytes as
// array.WriteNPYFile) and every picture, and lists them per spec. Run with -race.
func TestWriterConcurrent(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	data := make([]float32, 4*5*8*8)
	for i := range data {
		data[i] = float32(i%17) + 1
	}
	ds, err := dataset.NewMemory(array.Wrap(data, 4, 5, 8, 8), dataset.MemoryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	com, err := udfs.NewCoM()
	if err != nil {
		t.Fatal(err)
	}
	rs, err := udf.Run(context.Background(), ds, []udf.UDF{udfs.Sum{}, com, udfs.StdDev{}}, udf.Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	specs, err := parseSpecs([]string{"sum", "com", "stddev"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := openOutputs(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer out.abort()
	w := newWriter(context.Background(), out, render.Options{}, len(specs))
	for i, s := range specs {
		w.spec(i, s, rs[i])
	}
	files, err := w.wait()
	if err != nil {
		t.Fatal(err)
	}
	ref := t.TempDir()
	for i, s := range specs {
		var want []string
		for _, name := range rs[i].Names() {
			want = append(want, filepath.Join(s.Dir, name+".npy"))
			a := rs[i].Get(name).Data()
			pics, err := bufferPictures(name, a, render.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range pics {
				want = append(want, filepath.Join(s.Dir, p.file))
				// the staged PNG (rendered row by row into the encoder) decodes
				// to the picture rendered as an image
				samePNG(t, filepath.Join(out.stage, s.Dir, p.file), p.img)
			}
			refPath := filepath.Join(ref, s.Dir+"-"+name+".npy")
			if err := array.WriteNPYFile(refPath, a); err != nil {
				t.Fatal(err)
			}
			wantBytes, _ := os.ReadFile(refPath)
			got, err := os.ReadFile(filepath.Join(out.stage, s.Dir, name+".npy"))
			if err != nil || !bytes.Equal(got, wantBytes) {
				t.Errorf("%s/%s.npy differs from array.WriteNPYFile's (%v)", s.Dir, name, err)
			}
		}
		if s.Kind == "com" {
			want = append(want, filepath.Join(s.Dir, "field.png"))
			pic, err := fieldPicture("field.png", rs[i].Get("field_y").Data(), rs[i].Get("field_x").Data(), render.Options{})
			if err != nil || pic == nil {
				t.Fatalf("field picture: %v", err)
			}
			samePNG(t, filepath.Join(out.stage, s.Dir, "field.png"), pic.img)
		}
		sort.Strings(want)
		if len(files[i]) != len(want) {
			t.Fatalf("spec %s: files %q, want %q", s.Text, files[i], want)
		}
		for k := range want {
			if files[i][k] != want[k] {
				t.Fatalf("spec %s: files %q, want %q", s.Text, files[i], want)
			}
			if st, err := os.Stat(filepath.Join(out.stage, want[k])); err != nil || st.Size() == 0 {
				t.Errorf("%s not staged (%v)", want[k], err)
			}
		}
	}
}

// samePNG decodes the PNG file path and compares every pixel with want.
func samePNG(t *testing.T, path string, want image.Image) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if got.Bounds() != want.Bounds() {
		t.Fatalf("%s: bounds %v, want %v", path, got.Bounds(), want.Bounds())
	}
	b := want.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if g, w := color.NRGBAModel.Convert(got.At(x, y)), color.NRGBAModel.Convert(want.At(x, y)); g != w {
				t.Fatalf("%s: pixel (%d, %d) = %v, want %v", path, x, y, g, w)
			}
		}
	}
}

// A file that cannot be staged fails the writer with an error naming it, every
// task ends (no goroutine left), and aborting leaves nothing behind.
func TestWriterFailure(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ds, err := dataset.NewMemory(array.Wrap(make([]float32, 3*4*8*8), 3, 4, 8, 8), dataset.MemoryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	com, err := udfs.NewCoM()
	if err != nil {
		t.Fatal(err)
	}
	rs, err := udf.Run(context.Background(), ds, []udf.UDF{udfs.Sum{}, com}, udf.Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	specs, err := parseSpecs([]string{"sum", "com"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	out, err := openOutputs(dir)
	if err != nil {
		t.Fatal(err)
	}
	// a folder where the CoM picture of raw_com-0 is to go: creating the file fails
	if err := os.MkdirAll(filepath.Join(out.stage, "com", "raw_com-0.png"), 0o755); err != nil {
		t.Fatal(err)
	}
	w := newWriter(context.Background(), out, render.Options{}, len(specs))
	for i, s := range specs {
		w.spec(i, s, rs[i])
	}
	if _, err := w.wait(); err == nil || !strings.Contains(err.Error(), "raw_com-0.png") {
		t.Fatalf("wait: %v, want an error naming raw_com-0.png", err)
	}
	out.abort()
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 0 {
		t.Fatalf("output folder after abort: %v %v, want empty", entries, err)
	}
}

package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/internal/render"
	"github.com/stemflow/stemflow/udf"
	"github.com/stemflow/stemflow/udfs"
)

// The concurrent writer stages every buffer's .npy (the same bytes as
// array.WriteNPYFile) and every picture, and lists them per spec. Run with -race.
func TestWriterConcurrent(t *testing.T) {
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

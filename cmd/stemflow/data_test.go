package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stemflow/stemflow/array"
)

func writeNPY(t *testing.T, dir, name string, a array.Array) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := array.WriteNPYFile(p, a); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadROI(t *testing.T) {
	dir := t.TempDir()
	shape := array.NewShape([]int{2, 3, 4, 4}, 2)
	tests := []struct {
		name    string
		a       array.Array
		want    []bool
		mention string
	}{
		{"bool nav-shaped", array.Wrap([]bool{true, false, true, false, false, true}, 2, 3), []bool{true, false, true, false, false, true}, ""},
		{"bool flat", array.Wrap([]bool{false, false, true, false, false, true}, 6), []bool{false, false, true, false, false, true}, ""},
		{"uint8 nonzero", array.Wrap([]uint8{0, 7, 0, 1, 0, 0}, 2, 3), []bool{false, true, false, true, false, false}, ""},
		{"same size, other shape", array.Wrap([]uint8{0, 7, 0, 1, 0, 0}, 3, 2), nil, "want the nav shape [2 3] or flat (6)"},
		{"same size, 3-D", array.Zeros[bool](1, 2, 3), nil, "shape [1 2 3]"},
		{"float", array.Wrap([]float32{0, 0.5, 0, 0, -1, 0}, 6), []bool{false, true, false, false, true, false}, ""},
		{"too small", array.Wrap([]bool{true, false}, 2), nil, "flat (6)"},
		{"too large", array.Zeros[bool](3, 3), nil, "shape [3 3]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := writeNPY(t, dir, strings.ReplaceAll(tc.name, " ", "_")+".npy", tc.a)
			roi, err := loadROI(p, shape)
			if tc.mention != "" {
				if err == nil || !strings.Contains(err.Error(), tc.mention) || !strings.Contains(err.Error(), p) {
					t.Fatalf("err = %v, want one naming %s and %q", err, p, tc.mention)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := roi.Contiguous().Data()
			for i := range tc.want {
				if got[i] != tc.want[i] {
					t.Fatalf("roi = %v, want %v", got, tc.want)
				}
			}
		})
	}
	if _, err := loadROI(filepath.Join(dir, "missing.npy"), shape); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v, want ErrNotExist", err)
	}
	bad := filepath.Join(dir, "bad.npy")
	os.WriteFile(bad, []byte("not an npy file at all"), 0o644)
	if _, err := loadROI(bad, shape); err == nil || !strings.Contains(err.Error(), "bad.npy") {
		t.Errorf("corrupt file: err = %v, want one naming bad.npy", err)
	}
}

func TestLoadMasks(t *testing.T) {
	dir := t.TempDir()
	sig := []int{2, 3}
	tests := []struct {
		name    string
		a       array.Array
		n       int
		want    []float32
		mention string
	}{
		{"stack", array.Wrap([]float64{1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2}, 2, 2, 3), 2, []float32{1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2}, ""},
		{"one mask", array.Wrap([]bool{true, false, true, false, true, false}, 2, 3), 1, []float32{1, 0, 1, 0, 1, 0}, ""},
		{"uint16", array.Wrap([]uint16{3, 0, 0, 0, 0, 4}, 1, 2, 3), 1, []float32{3, 0, 0, 0, 0, 4}, ""},
		{"wrong sig", array.Zeros[float32](2, 3, 2), 0, nil, "want (n, 2, 3) or (2, 3)"},
		{"1-D", array.Zeros[float32](6), 0, nil, "want (n, 2, 3)"},
		{"empty stack", array.Zeros[float32](0, 2, 3), 0, nil, "holds no mask"},
		{"complex", array.Zeros[complex64](2, 3), 0, nil, "dtype"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := writeNPY(t, dir, strings.ReplaceAll(tc.name, " ", "_")+".npy", tc.a)
			m, err := loadMasks(p, sig)
			if tc.mention != "" {
				if err == nil || !strings.Contains(err.Error(), tc.mention) || !strings.Contains(err.Error(), p) {
					t.Fatalf("err = %v, want one naming %s and %q", err, p, tc.mention)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Shape(); got[0] != tc.n || got[1] != 2 || got[2] != 3 {
				t.Fatalf("shape %v, want (%d, 2, 3)", got, tc.n)
			}
			for i, v := range m.Contiguous().Data() {
				if v != tc.want[i] {
					t.Fatalf("masks %v, want %v", m.Contiguous().Data(), tc.want)
				}
			}
		})
	}
}

package dataset

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestChooseIO(t *testing.T) {
	for _, tc := range []struct {
		cpus int
		want string
	}{{1, IORead}, {2, IORead}, {7, IORead}, {8, IOMmap}, {16, IOMmap}, {128, IOMmap}} {
		if got, pop := ChooseIO(tc.cpus); got != tc.want || pop {
			t.Errorf("ChooseIO(%d) = %q, %v; want %q, false", tc.cpus, got, pop, tc.want)
		}
	}
}

// IOAuto opens with the method ChooseIO picks and reads the same bytes.
func TestOpenIOAuto(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.raw")
	data := make([]byte, 2*3*4*4)
	for i := range data {
		data[i] = byte(i * 7)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	ds, err := Open("raw", path, OpenOptions{NavShape: []int{2, 3}, SigShape: []int{4, 4}, DType: "uint8", IO: IOAuto})
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	want, _ := ChooseIO(0)
	info, ok := ds.(interface{ Info() Info })
	if !ok {
		t.Fatal("raw dataset has no Info")
	}
	if got := info.Info().IO; got != want {
		t.Errorf("IO = %q, want %q", got, want)
	}
}

// The not-found error is one line and matches both sentinels.
func TestNotFoundOneLine(t *testing.T) {
	p := filepath.Join(t.TempDir(), "nope.raw")
	_, err := Open("raw", p, OpenOptions{NavShape: []int{1}, SigShape: []int{1}, DType: "u1"})
	if err == nil || !errors.Is(err, ErrNotFound) || !errors.Is(err, fs.ErrNotExist) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("err = %q, want one line matching ErrNotFound and fs.ErrNotExist", err)
	}
}

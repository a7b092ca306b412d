package main

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
)

func TestCorrectionFlags(t *testing.T) {
	dir := t.TempDir()
	// 2 frames of 4×4 uint16: frame f pixel i = 10·f + i
	var raw []byte
	for f := range 2 {
		for i := range 16 {
			raw = binary.LittleEndian.AppendUint16(raw, uint16(10*f+i))
		}
	}
	path := filepath.Join(dir, "d.raw")
	os.WriteFile(path, raw, 0o644)
	dark := make([]float32, 16)
	for i := range dark {
		dark[i] = 1
	}
	write := func(name string, a array.Array) string {
		p := filepath.Join(dir, name)
		if err := array.WriteNPYFile(p, a); err != nil {
			t.Fatal(err)
		}
		return p
	}
	dp := write("dark.npy", array.Wrap(dark, 4, 4))
	mask := make([]bool, 16)
	mask[5] = true
	mp := write("mask.npy", array.Wrap(mask, 4, 4))
	cp := write("coords.npy", array.Wrap([]int64{1, 1}, 2, 1)) // pixel (1, 1) = flat 5
	for _, ex := range []string{mp, cp} {
		ds, err := dataset.Open("raw", path, dataset.OpenOptions{NavShape: []int{2}, SigShape: []int{4, 4}, DType: "<u2"})
		if err != nil {
			t.Fatal(err)
		}
		cds, err := applyCorrections(ds, corrFlags{dark: dp, excluded: ex})
		if err != nil {
			t.Fatal(err)
		}
		if cds.DType() != array.Float32 {
			t.Errorf("dtype %v", cds.DType())
		}
		sch, _ := dataset.NewTilingScheme([]int{2, 4, 4}, []int{4, 4}, dataset.MethodTile)
		var got []float32
		err = cds.ReadTiles(context.Background(), dataset.Partitions(cds, 1)[0], dataset.TileRequest{Scheme: sch, DType: array.Float32}, func(tl *dataset.Tile) error {
			got = append(got, tl.Data.(*array.Dense[float32]).Data()...)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// frame 1: pixel 3 is 10+3-1; pixel 5 is the mean of its 8 neighbours
		// (0,1,2,4,6,8,9,10) + 10 - 1
		if got[16+3] != 12 || got[16+5] != float32(0+1+2+4+6+8+9+10)/8+9 {
			t.Errorf("corrected frame 1: %v", got[16:])
		}
		cds.Close()
	}
	ds, _ := dataset.Open("raw", path, dataset.OpenOptions{NavShape: []int{2}, SigShape: []int{4, 4}, DType: "<u2"})
	if _, err := applyCorrections(ds, corrFlags{gain: write("g.npy", array.Wrap(make([]float32, 3), 3))}); err == nil || !strings.Contains(err.Error(), "--gain") {
		t.Errorf("wrong gain size: %v", err)
	}
}

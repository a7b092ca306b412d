package dataset_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
)

// Open a raw_csr dataset (three raw files and a TOML descriptor) and read its frames
// as CSR tiles.
func ExampleOpenRawCSR() {
	dir, _ := os.MkdirTemp("", "rawcsr")
	defer os.RemoveAll(dir)
	// Four frames of 2×2 pixels; frame i holds the value i+1 at pixel i.
	le := binary.LittleEndian
	put := func(name string, vals ...int32) {
		b := make([]byte, 4*len(vals))
		for i, v := range vals {
			le.PutUint32(b[4*i:], uint32(v))
		}
		_ = os.WriteFile(filepath.Join(dir, name), b, 0o644)
	}
	put("indptr.raw", 0, 1, 2, 3, 4)
	put("coords.raw", 0, 1, 2, 3)
	put("values.raw", 1, 2, 3, 4)
	toml := `[params]
filetype = "raw_csr"
nav_shape = [2, 2]
sig_shape = [2, 2]

[raw_csr]
indptr_file = "indptr.raw"
indptr_dtype = "<i4"
indices_file = "coords.raw"
indices_dtype = "<i4"
data_file = "values.raw"
data_dtype = "<i4"
`
	path := filepath.Join(dir, "sparse.toml")
	_ = os.WriteFile(path, []byte(toml), 0o644)

	ds, err := dataset.OpenRawCSR(path, dataset.RawCSROptions{Strict: true})
	if err != nil {
		panic(err)
	}
	defer ds.Close()
	scheme, _ := dataset.NewTilingScheme([]int{3, 2, 2}, ds.Shape().Sig(), dataset.MethodTile)
	req := dataset.TileRequest{Scheme: scheme, DType: array.Float32, Format: array.FormatCSR}
	for _, p := range dataset.Partitions(ds, 1) {
		_ = ds.ReadTiles(context.Background(), p, req, func(t *dataset.Tile) error {
			m := t.Data.(*array.CSR[float32, int32])
			fmt.Println(t.Slice.Origin[0], m.Rows, m.Cols, m.SumAxis0(nil))
			return nil
		})
	}
	// Output:
	// 0 3 4 [1 2 3 0]
	// 3 1 4 [0 0 0 4]
}

package dataset_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
)

// A run over an in-memory dataset: partition it, negotiate the tiling for a tile UDF and
// read every tile.
func Example() {
	data := make([]float32, 8*8*16*16)
	for i := range data {
		data[i] = 1
	}
	ds, err := dataset.NewMemory(array.Wrap(data, 8, 8, 16, 16), dataset.MemoryOptions{NumPartitions: 2})
	if err != nil {
		panic(err)
	}
	defer ds.Close()

	workers := 2
	n := dataset.NumPartitions(ds, workers, 0)
	in := dataset.NegotiationFor(ds, []dataset.TilingPrefs{{Method: dataset.MethodTile}}, array.Float32, nil, n)
	scheme, err := dataset.Negotiate(in)
	if err != nil {
		panic(err)
	}
	fmt.Println("scheme:", scheme)

	var sum float32
	for _, p := range dataset.Partitions(ds, n) {
		err := ds.ReadTiles(context.Background(), p, dataset.TileRequest{Scheme: scheme, DType: array.Float32},
			func(t *dataset.Tile) error {
				for _, v := range t.Data.(*array.Dense[float32]).Data() {
					sum += v
				}
				fmt.Println(p, "tile", t.Slice.Origin, t.Slice.Shape.Dims())
				return nil
			})
		if err != nil {
			panic(err)
		}
	}
	fmt.Println("sum:", sum)
	// Output:
	// scheme: TilingScheme(tile, [32 16 16], 1 boxes)
	// Partition 0 [0, 32) tile [0 0 0] [32 16 16]
	// Partition 1 [32, 64) tile [32 0 0] [32 16 16]
	// sum: 16384
}

// The worked example of the reference's negotiator: a uint16 dataset read as float32 by a tile UDF gets
// 1 MiB tiles of whole rows.
func ExampleNegotiate() {
	s, err := dataset.Negotiate(dataset.NegotiationInput{
		UDFs:           []dataset.TilingPrefs{{Method: dataset.MethodTile}},
		ReadDType:      array.Float32,
		NativeDType:    array.Uint16,
		PartitionShape: []int{512, 256, 256},
		NeedDecode:     true,
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(s.Shape, s.Len(), "boxes")
	// Output: [32 32 256] 8 boxes
}

func ExamplePartitionBoundaries() {
	fmt.Println(dataset.PartitionBoundaries(256, 7))
	// Output: [0 36 73 109 146 182 219 256]
}

// Positive sync offsets skip stored frames; nav positions past the end get no data.
func ExampleMemoryOptions_syncOffset() {
	ds, _ := dataset.NewMemoryZeros([]int{4, 4, 2, 2}, array.Uint16, dataset.MemoryOptions{SyncOffset: 14})
	scheme, _ := dataset.NewTilingScheme([]int{4, 2, 2}, []int{2, 2}, dataset.MethodTile)
	for _, p := range dataset.Partitions(ds, 2) {
		_ = ds.ReadTiles(context.Background(), p, dataset.TileRequest{Scheme: scheme, DType: array.Float32},
			func(t *dataset.Tile) error {
				fmt.Println(p, "start frame", p.StartFrame, "tile at", t.Slice.Origin[0], "depth", t.Slice.Shape.Dim(0))
				return nil
			})
	}
	// Output: Partition 0 [0, 8) start frame 14 tile at 0 depth 2
}

func ExampleNavMapper() {
	roi := make([]bool, 16)
	roi[5], roi[10] = true, true
	m, _ := dataset.NewNavMapper([]int{4, 4}, roi)
	fmt.Println(m.AppendCoordinates(nil, 0, 2))
	// Output: [1 1 2 2]
}

func ExampleOpen() {
	_, err := dataset.Open("", "scan.unknown", dataset.OpenOptions{})
	fmt.Println(err != nil)
	// Output: true
}

// A raw file of big-endian uint16 frames, read as float32 (decoded per tile).
func ExampleOpenRaw() {
	dir, _ := os.MkdirTemp("", "stemflow-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "scan.raw")
	var b []byte
	for i := range 2 * 3 * 4 * 4 {
		b = binary.BigEndian.AppendUint16(b, uint16(i))
	}
	_ = os.WriteFile(path, b, 0o644)

	ds, err := dataset.OpenRaw(path, dataset.RawOptions{NavShape: []int{2, 3}, SigShape: []int{4, 4}, DType: ">u2"})
	if err != nil {
		panic(err)
	}
	defer ds.Close()
	fmt.Print(strings.Replace(ds.Info().String(), path, "PATH", 1))
	scheme, _ := dataset.NewTilingScheme([]int{6, 4, 4}, []int{4, 4}, dataset.MethodTile)
	p := dataset.Partitions(ds, 1)[0]
	_ = ds.ReadTiles(context.Background(), p, dataset.TileRequest{Scheme: scheme, DType: array.Float32}, func(t *dataset.Tile) error {
		d := t.Data.(*array.Dense[float32])
		fmt.Println(d.Shape(), d.At(5, 3, 3))
		return nil
	})
	// Output:
	// format: raw
	// path: PATH
	// shape: [2 3 4 4] (nav [2 3], sig [4 4])
	// dtype: >u2
	// image_count: 6
	// sync_offset: 0
	// bytes: 192
	// io: mmap
	// [6 4 4] 95
}

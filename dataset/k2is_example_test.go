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

// Open a K2 IS dataset by one of its sector files. The example writes one with two
// frames whose pixels are all 7, then 9, and no .gtg: a flat time series.
func ExampleOpenK2IS() {
	dir, _ := os.MkdirTemp("", "k2is")
	defer os.RemoveAll(dir)
	for s := 1; s <= 8; s++ {
		var b []byte
		for frame := range 2 {
			v := uint32(7 + 2*frame)
			for i := range 32 { // 32 blocks per sector and frame
				h := make([]byte, 40)
				binary.BigEndian.PutUint32(h, 0xFFFF0055) // sync word
				h[9] = 1                                  // shutter active
				binary.BigEndian.PutUint32(h[16:], uint32(frame*32+i))
				binary.BigEndian.PutUint16(h[20:], 256)
				binary.BigEndian.PutUint16(h[22:], 1860)
				binary.BigEndian.PutUint32(h[24:], uint32(frame))
				b = append(b, h...)
				for range 930 * 16 / 2 { // two 12-bit pixels in three bytes
					x := v | v<<12
					b = append(b, byte(x), byte(x>>8), byte(x>>16))
				}
			}
		}
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("scan_%d.bin", s)), b, 0o644)
	}
	ds, err := dataset.OpenK2IS(filepath.Join(dir, "scan_3.bin"), dataset.K2ISOptions{DetectSyncOffset: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ds.Close()
	fmt.Println(ds.Shape().Dims(), ds.DType())
	sch, _ := dataset.NewTilingScheme([]int{1, 1860, 2048}, []int{1860, 2048}, dataset.MethodTile)
	for _, p := range dataset.Partitions(ds, 1) {
		ds.ReadTiles(context.Background(), p, dataset.TileRequest{Scheme: sch}, func(t *dataset.Tile) error {
			d := t.Data.(*array.Dense[uint16]).Data()
			fmt.Println("frame", t.Slice.Origin[0], "pixels", d[0], d[len(d)-1])
			return nil
		})
	}
	// Output:
	// [2 1860 2048] uint16
	// frame 0 pixels 7 7
	// frame 1 pixels 9 9
}

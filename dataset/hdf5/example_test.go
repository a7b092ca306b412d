package hdf5_test

import (
	"fmt"

	"github.com/stemflow/stemflow/dataset/hdf5"
)

// ExampleDecoder_DecodeChunk decodes one LZF-compressed chunk as stored in a file.
func ExampleDecoder_DecodeChunk() {
	stored := []byte{2, 'a', 'b', 'c', 0x80, 0x02} // "abc", then 6 bytes from 3 back
	var d hdf5.Decoder
	out, err := d.DecodeChunk(stored, []hdf5.Filter{{ID: hdf5.FilterLZF}}, 0, 9, 1)
	fmt.Printf("%s %v\n", out, err)
	// Output: abcabcabc <nil>
}

// ExampleOpen lists the datasets of a file and reads one's chunk index (needs libhdf5).
func ExampleOpen() {
	f, err := hdf5.Open("scan_master.h5")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	paths, _ := f.Walk()
	for _, p := range paths {
		in, err := f.Dataset(p, true)
		if err == nil {
			fmt.Println(p, in.Shape, in.Type, in.Layout, in.Chunk, in.Filters, len(in.Chunks))
		}
	}
}

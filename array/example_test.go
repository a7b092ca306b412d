package array_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/stemflow/stemflow/array"
)

func ExampleNewShape() {
	s := array.NewShape([]int{16, 16, 128, 128}, 2) // 4D-STEM: 16×16 scan, 128×128 detector
	fmt.Println(s.Nav(), s.Sig(), s.NavSize(), s.SigSize())
	fmt.Println(s.FlattenNav())
	fmt.Println(s.FlattenSig())
	// Output:
	// [16 16] [128 128] 256 16384
	// (256, 128, 128)/2
	// (16, 16, 16384)/1
}

func ExampleSlice_Subslices() {
	// a partition of 5 frames of 4×4, cut into tiles of depth 3 and half-frame width
	p := array.NewSlice([]int{10, 0, 0}, array.NewShape([]int{5, 4, 4}, 2))
	for _, t := range p.Subslices([]int{3, 4, 2}) {
		fmt.Println(t)
	}
	// Output:
	// Slice(origin=(10, 0, 0), shape=(3, 4, 2)/2)
	// Slice(origin=(10, 0, 2), shape=(3, 4, 2)/2)
	// Slice(origin=(13, 0, 0), shape=(2, 4, 2)/2)
	// Slice(origin=(13, 0, 2), shape=(2, 4, 2)/2)
}

func ExampleSlice_AdjustForROI() {
	roi := []bool{true, false, true, true, false, false, true, true}
	second := array.NewSlice([]int{4, 0, 0}, array.NewShape([]int{4, 8, 8}, 2))
	fmt.Println(second.AdjustForROI(roi))
	// Output:
	// Slice(origin=(3, 0, 0), shape=(2, 8, 8)/2)
}

func ExampleResultType() {
	fmt.Println(array.ResultType(array.Int16, array.Uint16))
	fmt.Println(array.ResultType(array.Float32, array.Uint32))
	fmt.Println(array.ResultType(array.Bool, array.Uint16))
	fmt.Println(array.CanCast(array.Int64, array.Float64), array.CanCast(array.Float64, array.Float32))
	// Output:
	// int32
	// float64
	// uint16
	// true false
}

func ExampleParseDType() {
	dt, order, err := array.ParseDType(">u2")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(dt, dt.ItemSize(), order, dt.TypeStr(nil))
	// Output:
	// uint16 2 BigEndian <u2
}

func ExampleDense_Slice() {
	a := array.Wrap([]float32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 3, 4)
	v := a.Slice(array.Range{Start: 1, Stop: 3}, array.Range{Start: 1, Stop: 3}) // a[1:3, 1:3], a view
	v.Fill(-1)
	fmt.Println(v.Shape(), v.IsContiguous())
	fmt.Println(a.Data())
	// Output:
	// [2 2] false
	// [0 1 2 3 4 -1 -1 7 8 -1 -1 11]
}

func ExampleConvert() {
	a := array.Wrap([]float64{-1.7, 0.5, 300}, 3)
	b, err := array.Convert(a, array.Uint8)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(b.(*array.Dense[uint8]).Data())
	// Output:
	// [255 0 44]
}

func ExampleWriteNPYFile() {
	dir, err := os.MkdirTemp("", "npy")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "sum.npy")

	sum := array.Wrap([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	if err := array.WriteNPYFile(path, sum); err != nil {
		log.Fatal(err)
	}
	back, err := array.ReadNPYFile(path)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(back.DType(), back.Shape(), back.(*array.Dense[float32]).At(1, 2))
	// Output:
	// float32 [2 3] 6
}

func ExampleReadNPYHeader() {
	f, err := os.CreateTemp("", "*.npy")
	if err != nil {
		log.Fatal(err)
	}
	defer os.Remove(f.Name())
	if err := array.WriteNPY(f, array.Zeros[uint16](4, 8, 8)); err != nil {
		log.Fatal(err)
	}
	if _, err := f.Seek(0, 0); err != nil {
		log.Fatal(err)
	}
	h, err := array.ReadNPYHeader(f)
	if err != nil {
		log.Fatal(err)
	}
	f.Close()
	fmt.Println(h.DType, h.ByteOrder, h.Shape, h.FortranOrder, h.DataOffset, h.DataLen())
	// Output:
	// uint16 LittleEndian [4 8 8] false 128 512
}

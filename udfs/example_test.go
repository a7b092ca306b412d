package udfs_test

import (
	"context"
	"fmt"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/udf"
	"github.com/stemflow/stemflow/udfs"
)

// A 2×2 scan of 2×3 frames whose pixel values are frame·10 + pixel.
func exampleDataset() dataset.Dataset {
	data := make([]float32, 4*6)
	for f := 0; f < 4; f++ {
		for p := 0; p < 6; p++ {
			data[f*6+p] = float32(f*10 + p)
		}
	}
	ds, err := dataset.NewMemory(array.Wrap(data, 2, 2, 2, 3), dataset.MemoryOptions{NumPartitions: 2})
	if err != nil {
		panic(err)
	}
	return ds
}

func ExampleSum() {
	res, err := udf.RunOne(context.Background(), exampleDataset(), udfs.Sum{}, udf.Options{})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Get("intensity").Data().(*array.Dense[float32]).Data())
	// Output: [60 64 68 72 76 80]
}

func ExampleSumSig() {
	res, err := udf.RunOne(context.Background(), exampleDataset(), udfs.SumSig{}, udf.Options{})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Get("intensity").Data().Shape(), res.Get("intensity").RawData().(*array.Dense[float32]).Data())
	// Output: [2 2] [15 75 135 195]
}

func ExampleApplyMasks() {
	masks := &udfs.ApplyMasks{Factories: []udfs.MaskFactory{
		udfs.PointMask(1, 2),        // pixel (1, 2)
		udfs.DiskMask(0, 0, 1),      // (0,0), (0,1), (1,0)
		udfs.RingMask(0, 1, 1.5, 1), // (1,0), (1,2): 1 < d² ≤ 2.25
	}}
	res, err := udf.RunOne(context.Background(), exampleDataset(), masks, udf.Options{})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Get("intensity").RawData().(*array.Dense[float32]).Data())
	// Output: [5 4 8 15 34 28 25 64 48 35 94 68]
}

func ExampleNewCoM() {
	// One bright pixel per frame at (y, x) = (1, 2): the centre of mass is (1, 2),
	// the shift relative to the default reference (sig/2 = (1, 1)) is (0, 1).
	a := array.Zeros[float32](2, 2, 2, 3)
	for f := 0; f < 4; f++ {
		a.Set(1, f/2, f%2, 1, 2)
	}
	ds, _ := dataset.NewMemory(a, dataset.MemoryOptions{NumPartitions: 1})
	com, err := udfs.NewCoM(udfs.WithRegression(udfs.RegressionMean))
	if err != nil {
		panic(err)
	}
	res, err := udf.RunOne(context.Background(), ds, com, udf.Options{})
	if err != nil {
		panic(err)
	}
	// raw_com and raw_shifts are float32 here (result_type(input, float32)); the
	// corrected field and what derives from it are float64.
	v := func(name string) any { return res.Get(name).RawData().(*array.Dense[float32]).Data()[:2] }
	field := res.Get("field").RawData().(*array.Dense[float64]).Data()[:2]
	fmt.Println("raw_com", v("raw_com"), "raw_shifts", v("raw_shifts"), "field", field)
	fmt.Println("regression", res.Get("regression").RawData().(*array.Dense[float64]).Data())
	// Output:
	// raw_com [1 2] raw_shifts [0 1] field [0 0]
	// regression [0 1 0 0 0 0]
}

func ExampleDisk() {
	m := udfs.Disk(3, 4, 1, 1, 1)
	for y := 0; y < 3; y++ {
		fmt.Println(m[y*4 : (y+1)*4])
	}
	// Output:
	// [0 1 0 0]
	// [1 1 1 0]
	// [0 1 0 0]
}

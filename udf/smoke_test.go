package udf

import (
	"context"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
)

type pixelSum struct{}

func (pixelSum) ResultBuffers(*Meta) []BufferSpec {
	return []BufferSpec{NavBuffer("pixelsum", array.Float32)}
}

func (pixelSum) ProcessFrame(env *Env, frame array.Array) error {
	f := frame.(*array.Dense[float32])
	var s float32
	for _, v := range f.Data() {
		s += v
	}
	F32(env, 0).Data()[0] += s
	return nil
}

func TestSmoke(t *testing.T) {
	data := array.Zeros[float32](4, 4, 8, 8)
	for i := range data.Data() {
		data.Data()[i] = float32(i % 13)
	}
	ds, err := dataset.NewMemory(data, dataset.MemoryOptions{NumPartitions: 2, TileShape: []int{3, 8, 8}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := RunOne(context.Background(), ds, pixelSum{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := res.Get("pixelsum").Data().(*array.Dense[float32])
	for i := 0; i < 16; i++ {
		var s float32
		for j := 0; j < 64; j++ {
			s += float32((i*64 + j) % 13)
		}
		if got := d.Data()[i]; got != s {
			t.Errorf("%d: %v want %v", i, got, s)
		}
	}
	t.Log(d.Shape())
}

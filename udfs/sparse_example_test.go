package udfs_test

import (
	"context"
	"fmt"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/backends"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/udf"
)

// SumSigAny is the seed's SumSig example for every backend: it sums each frame over
// the signal whatever format its tiles come in, and prints the backend each
// partition received.
type SumSigAny struct{}

func (SumSigAny) ResultBuffers(*udf.Meta) []udf.BufferSpec {
	return []udf.BufferSpec{udf.NavBuffer("intensity", array.Float32)}
}

// Backends accepts every backend; the run's plan picks the one needing the least
// conversion from the dataset's format.
func (SumSigAny) Backends() []backends.Backend { return backends.All }

func (SumSigAny) ProcessTile(env *udf.Env, tile array.Array) error {
	out := udf.F32(env, 0).Data() // one entry per frame of the tile
	switch t := tile.(type) {
	case *array.Dense[float32]: // (frames,)+sig box
		per := t.Size() / len(out)
		for f := range out {
			for _, v := range t.Data()[f*per : (f+1)*per] {
				out[f] += v // += because a tile may cover part of the signal
			}
		}
	case *array.CSR[float32, int32]: // (frames, box pixels)
		t.AddSumAxis1(out)
	case *array.CSC[float32, int32]:
		t.AddSumAxis1(out)
	default:
		return fmt.Errorf("tile %T", tile)
	}
	return nil
}

func (SumSigAny) Postprocess(env *udf.Env) error {
	fmt.Printf("  partition %d: %v\n", env.Meta.Partition, env.Meta.ArrayBackend)
	return nil
}

// Example_sumSigAnyBackend runs a UDF accepting every backend over dense, CSR and
// CSC tiles of the same data; it prints the backend of each partition and the
// per-frame sums, which agree.
func Example_sumSigAnyBackend() {
	data := array.Zeros[float32](2, 3, 4, 4)
	for i := range data.Data() {
		if i%5 == 0 {
			data.Data()[i] = float32(i % 7)
		}
	}
	for _, f := range [][]array.Format{nil, {array.FormatCSR}, {array.FormatCSC, array.FormatDense}} {
		ds, err := dataset.NewMemory(data, dataset.MemoryOptions{NumPartitions: 2, ArrayFormats: f})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println("dataset formats", ds.Formats())
		res, err := udf.RunOne(context.Background(), ds, SumSigAny{}, udf.Options{Inline: true})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println("  sums", res.Get("intensity").RawData().(*array.Dense[float32]).Data())
	}
	// Output:
	// dataset formats [dense]
	//   partition 0: numpy
	//   partition 1: numpy
	//   sums [9 12 8 11 7 14]
	// dataset formats [csr]
	//   partition 0: scipy.sparse.csr_matrix
	//   partition 1: scipy.sparse.csr_matrix
	//   sums [9 12 8 11 7 14]
	// dataset formats [csc dense]
	//   partition 0: scipy.sparse.csc_matrix
	//   partition 1: scipy.sparse.csc_matrix
	//   sums [9 12 8 11 7 14]
}

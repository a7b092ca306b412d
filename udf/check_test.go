package udf

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
)

type baseUDF struct{}

func (baseUDF) ResultBuffers(*Meta) []BufferSpec {
	return []BufferSpec{NavBuffer("n", array.Float32)}
}
func (baseUDF) ProcessFrame(*Env, array.Array) error { return nil }

type postProcessTypo struct{ baseUDF }

func (postProcessTypo) PostProcess(*Env) error { return nil }

type mergeNoMeta struct{ baseUDF }

func (mergeNoMeta) Merge(dest, src *Views) error { return nil }

type preprocessNoErr struct{ baseUDF }

func (preprocessNoErr) Preprocess(*Env) {}

type ptrRecv struct{ baseUDF }

func (*ptrRecv) Postprocess(*Env) error { return nil }

type noProcess struct{}

func (noProcess) ResultBuffers(*Meta) []BufferSpec { return nil }

type resultOnlyNoResults struct{ baseUDF }

func (resultOnlyNoResults) Name() string { return "AverageUDF" }
func (resultOnlyNoResults) ResultBuffers(*Meta) []BufferSpec {
	return []BufferSpec{NavBuffer("average", array.Float32).ResultOnly()}
}

// TestCheck: near-miss methods are errors naming the UDF, the method and the
// expected signature; correct UDFs pass.
func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		u    UDF
		want error
		says []string
	}{
		{baseUDF{}, nil, nil},
		{&ptrRecv{}, nil, nil},
		{postProcessTypo{}, ErrNearMiss, []string{"udf 0 (udf.postProcessTypo)", "PostProcess", "Postprocess(env *udf.Env) error"}},
		{mergeNoMeta{}, ErrNearMiss, []string{"Merge", "Merge(dest, src *udf.Views, m *udf.Meta) error"}},
		{preprocessNoErr{}, ErrNearMiss, []string{"Preprocess", "Preprocess(env *udf.Env) error"}},
		{ptrRecv{}, ErrNearMiss, []string{"pointer receiver"}},
		{noProcess{}, ErrNoProcessMethod, []string{"ProcessTile(env *udf.Env, tile array.Array) error"}},
	} {
		err := Check(tc.u)
		if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("%T: got %v, want %v", tc.u, err, tc.want)
			continue
		}
		for _, s := range tc.says {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%T: %q does not say %q", tc.u, err, s)
			}
		}
	}
}

// TestCheckBeforeReading: Run reports a near miss and a result_only buffer without
// Results before reading any data (the dataset here fails every read), with one
// prefix.
func TestCheckBeforeReading(t *testing.T) {
	ds := failingDS{memDS(t, testData(4, 2, 2), dataset.MemoryOptions{NumPartitions: 2, SigDims: 2})}
	_, err := Run(context.Background(), ds, []UDF{resultOnlyNoResults{}}, Options{})
	if !errors.Is(err, ErrResultOnlyNotSet) || !strings.HasPrefix(err.Error(), `udf 0 (AverageUDF): result_only buffer "average"`) {
		t.Fatalf("got %v, want ErrResultOnlyNotSet with one prefix", err)
	}
	_, err = Run(context.Background(), ds, []UDF{baseUDF{}, postProcessTypo{}}, Options{})
	if !errors.Is(err, ErrNearMiss) || !strings.HasPrefix(err.Error(), "udf 1 (udf.postProcessTypo): ") {
		t.Fatalf("got %v, want ErrNearMiss naming udf 1", err)
	}
}

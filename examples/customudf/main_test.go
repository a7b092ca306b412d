package main

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/udf"
	"github.com/stemflow/stemflow/udfs"
)

const navY, navX, sigY, sigX = 4, 5, 6, 7

// pattern is the value of element i of the test data: 0 … 100, spread over the
// threshold 50 in a pattern that differs between frames and pixels.
func pattern(i int) float64 { return float64((i*37 + i/11) % 101) }

func wrap[T any](conv func(float64) T) array.Array {
	data := make([]T, navY*navX*sigY*sigX)
	for i := range data {
		data[i] = conv(pattern(i))
	}
	return array.Wrap(data, navY, navX, sigY, sigX)
}

// TestBrightAnyInputDType runs Bright beside another UDF whose input preference
// differs, on data of several dtypes, over several partitions (so Merge runs), and
// compares both counts with a direct loop over the pattern.
func TestBrightAnyInputDType(t *testing.T) {
	const threshold = 50
	// the direct loop
	wantCount := make([]float32, navY*navX)
	wantHits := make([]float32, sigY*sigX)
	for f := range wantCount {
		for p := range wantHits {
			if pattern(f*sigY*sigX+p) > threshold {
				wantCount[f]++
				wantHits[p]++
			}
		}
	}
	for _, tc := range []struct {
		name  string
		data  array.Array
		other udf.UDF
		input array.DType // the run's input dtype, which Bright must take
	}{
		{"float32 data alone", wrap(func(v float64) float32 { return float32(v) }), nil, array.Float32},
		{"float32 data beside a float64-preferring UDF", wrap(func(v float64) float32 { return float32(v) }), udfs.Sum{DType: array.Float64}, array.Float64},
		{"float64 data beside a float32-preferring UDF", wrap(func(v float64) float64 { return v }), udfs.Sum{DType: array.Float32}, array.Float64},
		{"uint16 data beside a native-dtype UDF", wrap(func(v float64) uint16 { return uint16(v) }), udfs.Sum{}, array.Float32},
		{"int64 data", wrap(func(v float64) int64 { return int64(v) }), nil, array.Float64},
		{"int32 data", wrap(func(v float64) int32 { return int32(v) }), nil, array.Float64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ds, err := dataset.NewMemory(tc.data, dataset.MemoryOptions{})
			if err != nil {
				t.Fatal(err)
			}
			us := []udf.UDF{Bright{Threshold: threshold}}
			if tc.other != nil {
				us = append(us, tc.other)
			}
			pr := &probe{}
			us = append(us, pr)
			rs, err := udf.Run(context.Background(), ds, us, udf.Options{Workers: 2, NumPartitions: 3})
			if err != nil {
				t.Fatal(err)
			}
			if got := pr.dtypes(); len(got) != 1 || got[0] != tc.input {
				t.Errorf("frames had dtypes %v, want only %v", got, tc.input)
			}
			for _, c := range []struct {
				buf  udf.Buf[float32]
				want []float32
			}{{count, wantCount}, {hits, wantHits}} {
				got, err := c.buf.Get(rs[0])
				if err != nil {
					t.Fatal(err)
				}
				for i, v := range got.All() {
					if v != c.want[i] {
						t.Fatalf("%s[%d] = %v, want %v", c.buf.Name(), i, v, c.want[i])
					}
				}
			}
		})
	}
}

// probe is a UDF without an input preference of its own; it records the dtype of the
// frames it gets, which is the run's input dtype.
type probe struct {
	mu   sync.Mutex
	seen map[array.DType]bool
}

func (*probe) PreferredInputDType() array.DType { return udf.NativeDType }

func (*probe) ResultBuffers(*udf.Meta) []udf.BufferSpec {
	return []udf.BufferSpec{udf.NavBuffer("unused", array.Float32)}
}

func (p *probe) ProcessFrame(_ *udf.Env, frame array.Array) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.seen == nil {
		p.seen = map[array.DType]bool{}
	}
	p.seen[frame.DType()] = true
	return nil
}

func (p *probe) dtypes() []array.DType {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []array.DType
	for d := range p.seen {
		out = append(out, d)
	}
	return out
}

// TestBrightComplexIsAnError: input Bright cannot take is an error naming the dtype,
// not a panic.
func TestBrightComplexIsAnError(t *testing.T) {
	ds, err := dataset.NewMemory(wrap(func(v float64) complex64 { return complex(float32(v), 0) }), dataset.MemoryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = udf.RunOne(context.Background(), ds, Bright{Threshold: 50}, udf.Options{Workers: 2})
	if !errors.Is(err, udf.ErrInputDType) {
		t.Fatalf("error %v, want ErrInputDType", err)
	}
	t.Log(err)
}

// TestBrightCheck: Bright passes udf.Check.
func TestBrightCheck(t *testing.T) {
	if err := udf.Check(Bright{}); err != nil {
		t.Fatal(err)
	}
}

package udf

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
)

var errEnderFail = errors.New("ender: planned failure")

// ender records the errors EndRun receives; with fail set, ProcessFrame fails on
// frame 5.
type ender struct {
	fail bool
	mu   *sync.Mutex
	got  *[]error
}

func (ender) ResultBuffers(*Meta) []BufferSpec { return nil }
func (e ender) ProcessFrame(env *Env, _ array.Array) error {
	if e.fail && env.Meta.Slice.Origin[0] == 5 {
		return errEnderFail
	}
	return nil
}
func (e ender) EndRun(_ *Meta, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	*e.got = append(*e.got, err)
}

// TestRunEnder: EndRun is called exactly once per run in every entry point, with
// nil on success and the run's error otherwise.
func TestRunEnder(t *testing.T) {
	ds, err := dataset.NewMemory(array.New(array.Float32, 4, 4, 2, 2), dataset.MemoryOptions{NumPartitions: 4})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	cases := []struct {
		name string
		fail bool
		run  func(u UDF) error
		want error
	}{
		{"Run ok", false, func(u UDF) error { _, err := RunOne(ctx, ds, u, Options{Workers: 2}); return err }, nil},
		{"Run fails", true, func(u UDF) error { _, err := RunOne(ctx, ds, u, Options{Workers: 2}); return err }, errEnderFail},
		{"Run cancelled", false, func(u UDF) error { _, err := RunOne(cancelled, ds, u, Options{Inline: true}); return err }, context.Canceled},
		{"DryRun", false, func(u UDF) error { _, err := DryRun(ctx, ds, []UDF{u}, Options{}); return err }, nil},
		{"Lazy fails", true, func(u UDF) error {
			l, err := RunLazy(ds, []UDF{u}, Options{Inline: true})
			if err != nil {
				return err
			}
			_, err = l.Compute(ctx)
			return err
		}, errEnderFail},
		{"RunIter stopped", false, func(u UDF) error {
			for _, err := range RunIter(ctx, ds, []UDF{u}, Options{Inline: true}) {
				if err != nil {
					return err
				}
				break
			}
			return ErrIterationStopped // what EndRun must have seen
		}, ErrIterationStopped},
		{"RunIter ok", false, func(u UDF) error {
			for _, err := range RunIter(ctx, ds, []UDF{u}, Options{Workers: 2}) {
				if err != nil {
					return err
				}
			}
			return nil
		}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []error
			u := ender{fail: tc.fail, mu: &sync.Mutex{}, got: &got}
			if err := tc.run(u); !errors.Is(err, tc.want) {
				t.Fatalf("run: %v, want %v", err, tc.want)
			}
			if len(got) != 1 {
				t.Fatalf("EndRun called %d times, want 1", len(got))
			}
			if tc.want == nil && got[0] != nil || !errors.Is(got[0], tc.want) {
				t.Fatalf("EndRun got %v, want %v", got[0], tc.want)
			}
		})
	}
}

package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/stemflow/stemflow/dataset"
)

// TestNameFlagsDSPath: the HDF5 dataset's ds_path option reads as the --ds-path flag,
// whether the user gave it or the message suggests giving it.
func TestNameFlagsDSPath(t *testing.T) {
	tests := []struct {
		name string
		err  error
		opts dataOpts
		want string
	}{
		{"given", &dataset.Error{Path: "a.h5", Field: "ds_path", Detail: "no dataset /x in the file", Err: dataset.ErrNotFound}, dataOpts{dsPath: "/x"},
			"dataset a.h5: --ds-path: no dataset /x in the file"},
		{"suggested", &dataset.Error{Path: "a.h5", Field: "ds_path", Detail: "no dataset with at least 3 axes; name one with ds_path", Err: dataset.ErrShape}, dataOpts{},
			"dataset a.h5: --ds-path: no dataset with at least 3 axes; name one with --ds-path"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := nameFlags(tc.err, tc.opts)
			if !strings.HasPrefix(got.Error(), tc.want) {
				t.Fatalf("got %q, want prefix %q", got, tc.want)
			}
			if !errors.Is(got, tc.err.(*dataset.Error).Err) {
				t.Fatalf("%v does not wrap the sentinel", got)
			}
		})
	}
}

package cuda

import (
	"slices"
	"testing"
)

func TestCandidates(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	tests := []struct {
		name  string
		spec  libSpec
		env   map[string]string
		first []string // expected prefix
		has   []string // must appear somewhere
		only  bool     // the prefix is the whole list
	}{
		{name: "override", spec: libNVRTC, env: map[string]string{"STEMFLOW_LIBNVRTC": "/opt/x/libnvrtc.so.13.1", "CUDA_HOME": "/c"},
			first: []string{"/opt/x/libnvrtc.so.13.1"}, only: true},
		{name: "plain names first", spec: libNVRTC, env: map[string]string{},
			first: []string{"libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"}, has: []string{"/usr/local/cuda/lib64/libnvrtc.so.13"}},
		{name: "lib dir before CUDA_HOME", spec: libCuBLAS, env: map[string]string{"STEMFLOW_CUDA_LIB_DIR": "/a:/b", "CUDA_HOME": "/c"},
			first: []string{"libcublas.so.13", "libcublas.so.12", "libcublas.so", "/a/libcublas.so.13", "/a/libcublas.so.12", "/a/libcublas.so", "/b/libcublas.so.13"},
			has:   []string{"/c/lib64/libcublas.so.12"}},
		{name: "driver", spec: libDriver, env: map[string]string{}, first: []string{"libcuda.so.1", "libcuda.so"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.spec.candidates(env(tc.env))
			if len(got) < len(tc.first) || !slices.Equal(got[:len(tc.first)], tc.first) {
				t.Fatalf("candidates = %v, want prefix %v", got, tc.first)
			}
			if tc.only && len(got) != len(tc.first) {
				t.Fatalf("candidates = %v, want only %v", got, tc.first)
			}
			for _, h := range tc.has {
				if !slices.Contains(got, h) {
					t.Errorf("candidates = %v, missing %s", got, h)
				}
			}
			seen := map[string]bool{}
			for _, p := range got {
				if seen[p] {
					t.Errorf("candidate %s repeated", p)
				}
				seen[p] = true
			}
		})
	}
}

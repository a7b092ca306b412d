package cuda

import (
	"regexp"
	"strings"
	"testing"
)

// TestBuiltinsSourceDefinesEveryKernel expands the source's FOR_TYPES instantiation by
// hand: every kernel the Go side names must be defined by a K_* macro that FOR_TYPES
// instantiates, and FOR_TYPES must list exactly the Elem suffixes.
func TestBuiltinsSourceDefinesEveryKernel(t *testing.T) {
	src := BuiltinsSource()
	if src == "" {
		t.Fatal("embedded source is empty")
	}
	// The FOR_TYPES list: X(suffix, type) pairs.
	m := regexp.MustCompile(`(?s)#define FOR_TYPES\(X\)(.*?)\n\n`).FindStringSubmatch(src)
	if m == nil {
		t.Fatal("no FOR_TYPES macro")
	}
	var suffixes []string
	for _, x := range regexp.MustCompile(`X\((\w+),`).FindAllStringSubmatch(m[1], -1) {
		suffixes = append(suffixes, x[1])
	}
	for e := F32; e.Valid(); e++ {
		found := false
		for _, s := range suffixes {
			found = found || s == e.Suffix()
		}
		if !found {
			t.Errorf("FOR_TYPES lacks %s", e.Suffix())
		}
	}
	if len(suffixes) != int(I64) {
		t.Errorf("FOR_TYPES has %d types %v, Elem has %d", len(suffixes), suffixes, int(I64))
	}
	// Each kernel: a macro defining `extern "C" __global__ void <name>_##S(` that is
	// instantiated with FOR_TYPES(<macro>).
	for _, k := range builtinKernels {
		re := regexp.MustCompile(`#define (K_\w+)\(S, T\)[^\n]*\n[^\n]*extern "C" __global__ void ` + k + `_##S\(`)
		mm := re.FindStringSubmatch(src)
		if mm == nil {
			t.Errorf("kernel %s is not defined by a K_ macro", k)
			continue
		}
		if !strings.Contains(src, "FOR_TYPES("+mm[1]+")") {
			t.Errorf("kernel %s: macro %s is never instantiated", k, mm[1])
		}
	}
	// Balanced braces and parentheses: a cheap guard against a broken edit.
	for _, p := range [][2]string{{"{", "}"}, {"(", ")"}} {
		if a, b := strings.Count(src, p[0]), strings.Count(src, p[1]); a != b {
			t.Errorf("source has %d %q and %d %q", a, p[0], b, p[1])
		}
	}
}

func TestElem(t *testing.T) {
	sizes := map[Elem]int{F32: 4, F64: 8, U8: 1, U16: 2, U32: 4, I8: 1, I16: 2, I32: 4, U64: 8, I64: 8}
	for e, s := range sizes {
		if e.Size() != s {
			t.Errorf("%v.Size() = %d, want %d", e, e.Size(), s)
		}
	}
	if Elem(0).Valid() || Elem(99).Valid() || Elem(0).Size() != 0 {
		t.Error("invalid Elem reported valid")
	}
}

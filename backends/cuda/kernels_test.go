package cuda

import (
	"go/ast"
	"go/parser"
	"go/token"
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

// splitParams splits a C parameter list at its top-level commas.
func splitParams(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '(', '<', '[':
			depth++
		case ')', '>', ']':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	if t := strings.TrimSpace(s[start:]); t != "" {
		out = append(out, t)
	}
	return out
}

// sourceKernels returns each kernel base name the embedded source defines with its
// parameter list (from `extern "C" __global__ void <name>_##S(<params>) {`).
func sourceKernels(t *testing.T) map[string][]string {
	t.Helper()
	// Join the macro continuation lines so a signature spans one line.
	src := strings.ReplaceAll(BuiltinsSource(), "\\\n", " ")
	re := regexp.MustCompile(`extern "C" __global__ void (\w+)_##S\(([^{]*)\)\s*\{`)
	out := map[string][]string{}
	for _, m := range re.FindAllStringSubmatch(src, -1) {
		if _, dup := out[m[1]]; dup {
			t.Errorf("kernel %s defined twice", m[1])
		}
		out[m[1]] = splitParams(m[2])
	}
	return out
}

// launchedKernels parses streamexec.go and returns, for every x.launch(KernelX, e,
// grid, args...) call, the kernel's name (KernelX's value in kernels.go) and how many
// arguments it passes.
func launchedKernels(t *testing.T) map[string][]int {
	t.Helper()
	fset := token.NewFileSet()
	consts := map[string]string{}
	kf, err := parser.ParseFile(fset, "kernels.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range kf.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, sp := range g.Specs {
			vs := sp.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if i < len(vs.Values) {
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						consts[n.Name] = strings.Trim(lit.Value, `"`)
					}
				}
			}
		}
	}
	sf, err := parser.ParseFile(fset, "streamexec.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]int{}
	ast.Inspect(sf, func(n ast.Node) bool {
		c, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := c.Fun.(*ast.SelectorExpr)
		if !ok || sel.Sel.Name != "launch" || len(c.Args) < 3 {
			return true
		}
		id, ok := c.Args[0].(*ast.Ident)
		if !ok {
			t.Errorf("%v: launch of a kernel not named by a Kernel constant", fset.Position(c.Pos()))
			return true
		}
		name, ok := consts[id.Name]
		if !ok {
			t.Errorf("%v: %s is not a kernel constant of kernels.go", fset.Position(c.Pos()), id.Name)
			return true
		}
		out[name] = append(out[name], len(c.Args)-3)
		return true
	})
	return out
}

// TestLaunchedKernelsMatchSource: every kernel the stream Exec launches is defined in
// the embedded source with as many parameters as the launch passes, the launch-time
// table builtinParams agrees, and every kernel of the source is launched somewhere.
func TestLaunchedKernelsMatchSource(t *testing.T) {
	src := sourceKernels(t)
	launched := launchedKernels(t)
	if len(launched) == 0 {
		t.Fatal("found no launches in streamexec.go")
	}
	for name, counts := range launched {
		params, ok := src[name]
		if !ok {
			t.Errorf("kernel %s is launched but the source does not define it", name)
			continue
		}
		for _, n := range counts {
			if n != len(params) {
				t.Errorf("kernel %s: launched with %d arguments, the source declares %d: %v", name, n, len(params), params)
			}
		}
		if builtinParams[name] != len(params) {
			t.Errorf("kernel %s: builtinParams says %d, the source declares %d", name, builtinParams[name], len(params))
		}
	}
	for name := range src {
		if _, ok := launched[name]; !ok {
			t.Errorf("kernel %s is in the source but never launched", name)
		}
	}
	if len(builtinParams) != len(src) || len(builtinKernels) != len(src) {
		t.Errorf("source defines %d kernels, builtinParams lists %d, builtinKernels %d", len(src), len(builtinParams), len(builtinKernels))
	}
}

func TestSplitParams(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
	}{{"", 0}, {"const T* in", 1}, {"const T* __restrict__ in, double* out, i64 n", 3}, {"UBits<sizeof(T)>::T a, int b", 2}} {
		if got := splitParams(c.in); len(got) != c.want {
			t.Errorf("splitParams(%q) = %q, want %d parameters", c.in, got, c.want)
		}
	}
}

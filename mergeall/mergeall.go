package mergeall

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/graph"
)

// Step merges one partition's value into the accumulator and returns the accumulator
// (it may mutate acc in place: the chain owns it). k is the position of the partial in
// partition order.
type Step func(ctx context.Context, k int, acc, part any) (any, error)

// ChainSpec describes an ordered merge chain.
type ChainSpec struct {
	// Name names the chain's nodes ("merge-<name>-<k>").
	Name string
	// Init is the key of the node producing the initial accumulator.
	Init graph.Key
	// Parts are the keys of the partial results, in partition order.
	Parts []graph.Key
	// Step merges one partial.
	Step Step
	// Gate, if set, returns extra dependencies for step k (values ignored), e.g. an
	// iteration barrier that pauses merging.
	Gate func(k int) []graph.Key
}

// Chain adds one merge node per partial to g: node k depends on node k-1 (Init for
// k = 0), on Parts[k] and on Gate(k), and applies Step. It returns the node keys in
// order; the last one yields the fully merged accumulator (Init's value when there
// are no parts, in which case no node is added and the returned slice is empty).
func Chain(g *graph.Graph, c ChainSpec) ([]graph.Key, error) {
	if c.Step == nil {
		return nil, errors.New("mergeall: nil Step")
	}
	keys := make([]graph.Key, len(c.Parts))
	prev := c.Init
	for k, p := range c.Parts {
		deps := []graph.Key{prev, p}
		if c.Gate != nil {
			deps = append(deps, c.Gate(k)...)
		}
		key := graph.UniqueKey(fmt.Sprintf("merge-%s-%d", c.Name, k))
		step, kk := c.Step, k
		err := g.Add(graph.Node{
			Key:   key,
			Label: fmt.Sprintf("merge %s #%d", c.Name, k),
			Kind:  graph.KindMerge,
			Deps:  deps,
			Op: func(ctx context.Context, args []any) (any, error) {
				return step(ctx, kk, args[0], args[1])
			},
		})
		if err != nil {
			return nil, err
		}
		keys[k] = key
		prev = key
	}
	return keys, nil
}

// AllFunc merges every partial at once; parts are in partition order.
type AllFunc func(ctx context.Context, acc any, parts []any) (any, error)

// All adds one merge_all node to g depending on init and every part (in order) and
// returns its key.
func All(g *graph.Graph, name string, init graph.Key, parts []graph.Key, f AllFunc) (graph.Key, error) {
	if f == nil {
		return "", errors.New("mergeall: nil merge function")
	}
	deps := append([]graph.Key{init}, parts...)
	key := graph.UniqueKey("merge_all-" + name)
	err := g.Add(graph.Node{
		Key:   key,
		Label: "merge_all " + name,
		Kind:  graph.KindMergeAll,
		Deps:  deps,
		Op: func(ctx context.Context, args []any) (any, error) {
			return f(ctx, args[0], args[1:])
		},
	})
	return key, err
}

// ErrConcat is wrapped by ConcatRows errors.
var ErrConcat = errors.New("mergeall: cannot concatenate")

// ConcatRows concatenates dense arrays along axis 0 (the default merge of flat-nav
// buffers): all parts must have the same dtype and the same extents after axis 0. The
// result is a new C-contiguous array; with no parts it is nil.
func ConcatRows(parts []array.Array) (array.Array, error) {
	if len(parts) == 0 {
		return nil, nil
	}
	dt := parts[0].DType()
	tail := parts[0].Shape()[1:]
	n := 0
	for i, p := range parts {
		s := p.Shape()
		if p.DType() != dt || len(s) == 0 || !slices.Equal(s[1:], tail) {
			return nil, fmt.Errorf("%w: part %d is %v %v, part 0 %v (n,%v)", ErrConcat, i, p.DType(), s, dt, tail)
		}
		n += s[0]
	}
	out := array.New(dt, append([]int{n}, tail...)...)
	row := 0
	for i, p := range parts {
		if err := copyRows(out, p, row); err != nil {
			return nil, fmt.Errorf("%w: part %d: %v", ErrConcat, i, err)
		}
		row += p.Shape()[0]
	}
	return out, nil
}

func copyRows(dst, src array.Array, at int) error {
	switch d := dst.(type) {
	case *array.Dense[bool]:
		return copyT(d, src, at)
	case *array.Dense[int8]:
		return copyT(d, src, at)
	case *array.Dense[int16]:
		return copyT(d, src, at)
	case *array.Dense[int32]:
		return copyT(d, src, at)
	case *array.Dense[int64]:
		return copyT(d, src, at)
	case *array.Dense[uint8]:
		return copyT(d, src, at)
	case *array.Dense[uint16]:
		return copyT(d, src, at)
	case *array.Dense[uint32]:
		return copyT(d, src, at)
	case *array.Dense[uint64]:
		return copyT(d, src, at)
	case *array.Dense[float32]:
		return copyT(d, src, at)
	case *array.Dense[float64]:
		return copyT(d, src, at)
	case *array.Dense[complex64]:
		return copyT(d, src, at)
	case *array.Dense[complex128]:
		return copyT(d, src, at)
	case *array.Dense[string]:
		return copyT(d, src, at)
	case *array.Dense[any]:
		return copyT(d, src, at)
	}
	return fmt.Errorf("format %v is not dense", dst.Format())
}

func copyT[T any](dst *array.Dense[T], src array.Array, at int) error {
	s, ok := src.(*array.Dense[T])
	if !ok {
		return fmt.Errorf("element type of %v differs", src.DType())
	}
	n := s.Shape()[0]
	return dst.Slice(array.Range{Start: at, Stop: at + n}).CopyFrom(s)
}

package delayed

import "context"

// The Call functions lift a plain Go function into the graph: the result is
// a lazy value computed by calling f with the values of the arguments. Plain
// (non-lazy) arguments are passed as Value(x). The node's name defaults to
// the function's name; options set its name, label, kind, lane and identity
// (see Pure). Functions returning (R, error) use the CallErr forms; an error
// fails the run with the node's key. A panic in f fails the run too.

// Call0 lifts f().
func Call0[R any](f func() R, opts ...Option) Delayed[R] {
	return call0(funcName(f), func() (R, error) { return f(), nil }, opts)
}

// Call0Err lifts f() with an error result.
func Call0Err[R any](f func() (R, error), opts ...Option) Delayed[R] {
	return call0(funcName(f), f, opts)
}

// Call1 lifts f(a).
func Call1[A, R any](f func(A) R, a Delayed[A], opts ...Option) Delayed[R] {
	return call1(funcName(f), func(x A) (R, error) { return f(x), nil }, a, opts)
}

// Call1Err lifts f(a) with an error result.
func Call1Err[A, R any](f func(A) (R, error), a Delayed[A], opts ...Option) Delayed[R] {
	return call1(funcName(f), f, a, opts)
}

// Call2 lifts f(a, b).
func Call2[A, B, R any](f func(A, B) R, a Delayed[A], b Delayed[B], opts ...Option) Delayed[R] {
	return call2(funcName(f), func(x A, y B) (R, error) { return f(x, y), nil }, a, b, opts)
}

// Call2Err lifts f(a, b) with an error result.
func Call2Err[A, B, R any](f func(A, B) (R, error), a Delayed[A], b Delayed[B], opts ...Option) Delayed[R] {
	return call2(funcName(f), f, a, b, opts)
}

// Call3 lifts f(a, b, c).
func Call3[A, B, C, R any](f func(A, B, C) R, a Delayed[A], b Delayed[B], c Delayed[C], opts ...Option) Delayed[R] {
	return call3(funcName(f), func(x A, y B, z C) (R, error) { return f(x, y, z), nil }, a, b, c, opts)
}

// Call3Err lifts f(a, b, c) with an error result.
func Call3Err[A, B, C, R any](f func(A, B, C) (R, error), a Delayed[A], b Delayed[B], c Delayed[C], opts ...Option) Delayed[R] {
	return call3(funcName(f), f, a, b, c, opts)
}

// Call4 lifts f(a, b, c, d).
func Call4[A, B, C, D, R any](f func(A, B, C, D) R, a Delayed[A], b Delayed[B], c Delayed[C], d Delayed[D], opts ...Option) Delayed[R] {
	return call4(funcName(f), func(w A, x B, y C, z D) (R, error) { return f(w, x, y, z), nil }, a, b, c, d, opts)
}

// Call4Err lifts f(a, b, c, d) with an error result.
func Call4Err[A, B, C, D, R any](f func(A, B, C, D) (R, error), a Delayed[A], b Delayed[B], c Delayed[C], d Delayed[D], opts ...Option) Delayed[R] {
	return call4(funcName(f), f, a, b, c, d, opts)
}

// CallSlice lifts f over a slice of lazy values of one type: f receives
// their values in order.
func CallSlice[A, R any](f func([]A) R, xs []Delayed[A], opts ...Option) Delayed[R] {
	return callSlice(funcName(f), func(v []A) (R, error) { return f(v), nil }, xs, opts)
}

// CallSliceErr lifts f over a slice of lazy values, with an error result.
func CallSliceErr[A, R any](f func([]A) (R, error), xs []Delayed[A], opts ...Option) Delayed[R] {
	return callSlice(funcName(f), f, xs, opts)
}

// The call* functions below build the node of every Call form: the plain forms
// wrap f into its error form, and both pass the user function's name as the
// default node name.

func call0[R any](name string, f func() (R, error), opts []Option) Delayed[R] {
	op := func(context.Context, []any) (any, error) { return f() }
	return Delayed[R]{n: newNode(name, op, nil, opts)}
}

func call1[A, R any](name string, f func(A) (R, error), a Delayed[A], opts []Option) Delayed[R] {
	args := []*node{a.n}
	op := func(_ context.Context, v []any) (any, error) {
		x, err := as[A](v[0], args[0].key)
		if err != nil {
			return nil, err
		}
		return f(x)
	}
	return Delayed[R]{n: newNode(name, op, args, opts)}
}

func call2[A, B, R any](name string, f func(A, B) (R, error), a Delayed[A], b Delayed[B], opts []Option) Delayed[R] {
	args := []*node{a.n, b.n}
	op := func(_ context.Context, v []any) (any, error) {
		x, err := as[A](v[0], args[0].key)
		if err != nil {
			return nil, err
		}
		y, err := as[B](v[1], args[1].key)
		if err != nil {
			return nil, err
		}
		return f(x, y)
	}
	return Delayed[R]{n: newNode(name, op, args, opts)}
}

func call3[A, B, C, R any](name string, f func(A, B, C) (R, error), a Delayed[A], b Delayed[B], c Delayed[C], opts []Option) Delayed[R] {
	args := []*node{a.n, b.n, c.n}
	op := func(_ context.Context, v []any) (any, error) {
		x, err := as[A](v[0], args[0].key)
		if err != nil {
			return nil, err
		}
		y, err := as[B](v[1], args[1].key)
		if err != nil {
			return nil, err
		}
		z, err := as[C](v[2], args[2].key)
		if err != nil {
			return nil, err
		}
		return f(x, y, z)
	}
	return Delayed[R]{n: newNode(name, op, args, opts)}
}

func call4[A, B, C, D, R any](name string, f func(A, B, C, D) (R, error), a Delayed[A], b Delayed[B], c Delayed[C], d Delayed[D], opts []Option) Delayed[R] {
	args := []*node{a.n, b.n, c.n, d.n}
	op := func(_ context.Context, v []any) (any, error) {
		w, err := as[A](v[0], args[0].key)
		if err != nil {
			return nil, err
		}
		x, err := as[B](v[1], args[1].key)
		if err != nil {
			return nil, err
		}
		y, err := as[C](v[2], args[2].key)
		if err != nil {
			return nil, err
		}
		z, err := as[D](v[3], args[3].key)
		if err != nil {
			return nil, err
		}
		return f(w, x, y, z)
	}
	return Delayed[R]{n: newNode(name, op, args, opts)}
}

func callSlice[A, R any](name string, f func([]A) (R, error), xs []Delayed[A], opts []Option) Delayed[R] {
	args := make([]*node, len(xs))
	for i, x := range xs {
		args[i] = x.n
	}
	op := func(_ context.Context, v []any) (any, error) {
		in := make([]A, len(v))
		for i := range v {
			x, err := as[A](v[i], args[i].key)
			if err != nil {
				return nil, err
			}
			in[i] = x
		}
		return f(in)
	}
	return Delayed[R]{n: newNode(name, op, args, opts)}
}

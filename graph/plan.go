package graph

// Plan is a graph compiled for execution: the nodes the requested outputs
// need, in topological order, with dependencies and dependents as int32
// adjacency slices in compressed-row form. Node i's dependencies are
// Deps[DepStart[i]:DepStart[i+1]] (in [Node.Deps] order, repeats kept) and
// its dependents are Succs[SuccStart[i]:SuccStart[i+1]] (one entry per
// dependency edge). A Plan is read-only once built and may be run many
// times.
type Plan struct {
	// Nodes are the culled nodes, dependencies before dependents.
	Nodes []*Node
	// Outputs holds the plan index of each requested output, in request
	// order (an output requested twice appears twice).
	Outputs []int32
	// DepStart and Deps hold dependencies in CSR form (len(DepStart) ==
	// len(Nodes)+1).
	DepStart []int32
	Deps     []int32
	// SuccStart and Succs hold dependents in CSR form.
	SuccStart []int32
	Succs     []int32
}

// Len returns the number of nodes in the plan.
func (p *Plan) Len() int { return len(p.Nodes) }

// NodeDeps returns the plan indices of node i's dependencies.
func (p *Plan) NodeDeps(i int32) []int32 { return p.Deps[p.DepStart[i]:p.DepStart[i+1]] }

// NodeSuccs returns the plan indices of node i's dependents.
func (p *Plan) NodeSuccs(i int32) []int32 { return p.Succs[p.SuccStart[i]:p.SuccStart[i+1]] }

// Compile culls g to the given outputs and returns the executable [Plan].
// It fails with ErrUnknownKey for an unknown output, a *MissingDepError or a
// *CycleError.
func (g *Graph) Compile(outputs ...Key) (*Plan, error) {
	roots, err := g.lookup(outputs)
	if err != nil {
		return nil, err
	}
	order, err := g.postorder(roots)
	if err != nil {
		return nil, err
	}
	n := len(order)
	// Map graph index -> plan index.
	pos := make([]int32, len(g.nodes))
	for i := range pos {
		pos[i] = -1
	}
	nodes := make([]*Node, n)
	ndeps := 0
	for i, o := range order {
		pos[o] = int32(i)
		nodes[i] = &g.nodes[o]
		ndeps += len(g.nodes[o].Deps)
	}
	p := &Plan{
		Nodes:     nodes,
		Outputs:   make([]int32, len(roots)),
		DepStart:  make([]int32, n+1),
		Deps:      make([]int32, ndeps),
		SuccStart: make([]int32, n+1),
		Succs:     make([]int32, ndeps),
	}
	for i, r := range roots {
		p.Outputs[i] = pos[r]
	}
	// Dependencies; count dependents per node on the way.
	cnt := p.SuccStart[1:]
	e := int32(0)
	for i, o := range order {
		p.DepStart[i] = e
		for j := range nodes[i].Deps {
			gd, _ := g.dep(o, j) // present and visited: postorder checked it
			d := pos[gd]
			p.Deps[e] = d
			cnt[d]++
			e++
		}
	}
	p.DepStart[n] = e
	// Prefix sums turn counts into end offsets shifted by one slot.
	for i := 1; i <= n; i++ {
		p.SuccStart[i] += p.SuccStart[i-1]
	}
	fill := make([]int32, n)
	copy(fill, p.SuccStart[:n])
	for i := 0; i < n; i++ {
		for _, d := range p.Deps[p.DepStart[i]:p.DepStart[i+1]] {
			p.Succs[fill[d]] = int32(i)
			fill[d]++
		}
	}
	return p, nil
}

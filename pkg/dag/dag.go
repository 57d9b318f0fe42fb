// Package dag orders steps and finds cycles. It knows nothing of specs or
// Tekton: nodes are names, edges point from a step to the steps it needs.
package dag

import (
	"sort"
	"strings"
)

// Graph is a directed graph of named nodes kept in insertion order, so
// every walk over it is deterministic.
type Graph struct {
	order []string
	index map[string]int
	deps  [][]int // deps[i]: nodes that node i runs after
}

// New returns an empty graph.
func New() *Graph {
	return &Graph{index: map[string]int{}}
}

// AddNode adds name if it is new.
func (g *Graph) AddNode(name string) {
	if _, ok := g.index[name]; ok {
		return
	}
	g.index[name] = len(g.order)
	g.order = append(g.order, name)
	g.deps = append(g.deps, nil)
}

// Has reports whether name is a node.
func (g *Graph) Has(name string) bool {
	_, ok := g.index[name]
	return ok
}

// AddEdge records that node runs after dep. Both must exist; duplicates are ignored.
func (g *Graph) AddEdge(node, dep string) {
	n, ok1 := g.index[node]
	d, ok2 := g.index[dep]
	if !ok1 || !ok2 {
		return
	}
	for _, x := range g.deps[n] {
		if x == d {
			return
		}
	}
	g.deps[n] = append(g.deps[n], d)
}

// Deps returns the nodes that name runs after, in the order they were added.
func (g *Graph) Deps(name string) []string {
	n, ok := g.index[name]
	if !ok {
		return nil
	}
	out := make([]string, len(g.deps[n]))
	for i, d := range g.deps[n] {
		out[i] = g.order[d]
	}
	return out
}

// Nodes returns every node in insertion order.
func (g *Graph) Nodes() []string {
	return append([]string(nil), g.order...)
}

// Cycles returns each cycle once, as the list of nodes along it with the
// first node repeated at the end (a → b → c → a), rotated to start at the
// node added first so that the answer does not depend on walk order.
func (g *Graph) Cycles() [][]string {
	const (
		white = iota
		grey
		black
	)
	color := make([]int, len(g.order))
	var stack []int
	seen := map[string]bool{}
	var out [][]string
	var visit func(n int)
	visit = func(n int) {
		color[n] = grey
		stack = append(stack, n)
		for _, d := range g.deps[n] {
			switch color[d] {
			case white:
				visit(d)
			case grey:
				// The cycle is the stack from d to n; edges point at deps,
				// so reverse it to read in running order.
				start := 0
				for i := len(stack) - 1; i >= 0; i-- {
					if stack[i] == d {
						start = i
						break
					}
				}
				cyc := append([]int(nil), stack[start:]...)
				for i, j := 0, len(cyc)-1; i < j; i, j = i+1, j-1 {
					cyc[i], cyc[j] = cyc[j], cyc[i]
				}
				min := 0
				for i := range cyc {
					if cyc[i] < cyc[min] {
						min = i
					}
				}
				cyc = append(cyc[min:], cyc[:min]...)
				names := make([]string, 0, len(cyc)+1)
				for _, c := range cyc {
					names = append(names, g.order[c])
				}
				names = append(names, names[0])
				key := strings.Join(names, "\x00")
				if !seen[key] {
					seen[key] = true
					out = append(out, names)
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[n] = black
	}
	for i := range g.order {
		if color[i] == white {
			visit(i)
		}
	}
	return out
}

// TopoSort returns the nodes so that each comes after its deps, breaking
// ties by insertion order. ok is false when the graph has a cycle.
func (g *Graph) TopoSort() (order []string, ok bool) {
	indeg := make([]int, len(g.order))
	users := make([][]int, len(g.order))
	for n, ds := range g.deps {
		indeg[n] = len(ds)
		for _, d := range ds {
			users[d] = append(users[d], n)
		}
	}
	var ready []int
	for i, d := range indeg {
		if d == 0 {
			ready = append(ready, i)
		}
	}
	for len(ready) > 0 {
		sort.Ints(ready)
		n := ready[0]
		ready = ready[1:]
		order = append(order, g.order[n])
		for _, u := range users[n] {
			indeg[u]--
			if indeg[u] == 0 {
				ready = append(ready, u)
			}
		}
	}
	return order, len(order) == len(g.order)
}

// Levels groups nodes by their depth: level 0 has no deps, level k runs
// after something in level k-1. Nodes on a cycle are left out.
func (g *Graph) Levels() [][]string {
	order, _ := g.TopoSort()
	depth := map[string]int{}
	var levels [][]string
	for _, n := range order {
		d := 0
		for _, dep := range g.Deps(n) {
			if depth[dep]+1 > d {
				d = depth[dep] + 1
			}
		}
		depth[n] = d
		for len(levels) <= d {
			levels = append(levels, nil)
		}
		levels[d] = append(levels[d], n)
	}
	return levels
}

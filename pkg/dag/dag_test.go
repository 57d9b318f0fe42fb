package dag

import (
	"reflect"
	"strings"
	"testing"
)

func graph(nodes string, edges ...string) *Graph {
	g := New()
	for _, n := range strings.Fields(nodes) {
		g.AddNode(n)
	}
	for _, e := range edges {
		a, b, _ := strings.Cut(e, "->")
		g.AddEdge(b, a) // b runs after a
	}
	return g
}

func TestCycles(t *testing.T) {
	cases := []struct {
		name string
		g    *Graph
		want [][]string
	}{
		{"none", graph("a b c", "a->b", "b->c", "a->c"), nil},
		{"self", graph("a", "a->a"), [][]string{{"a", "a"}}},
		{"three", graph("a b c", "a->b", "b->c", "c->a"), [][]string{{"a", "b", "c", "a"}}},
		{"rotated to the first node", graph("x c b a", "a->b", "b->c", "c->a"), [][]string{{"c", "a", "b", "c"}}},
		{"two separate", graph("a b c d", "a->b", "b->a", "c->d", "d->c"), [][]string{{"a", "b", "a"}, {"c", "d", "c"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.g.Cycles(); !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestTopoSortAndLevels(t *testing.T) {
	g := graph("load prep train-a train-b select", "load->prep", "prep->train-a", "prep->train-b", "train-a->select", "train-b->select")
	order, ok := g.TopoSort()
	if !ok || !reflect.DeepEqual(order, []string{"load", "prep", "train-a", "train-b", "select"}) {
		t.Errorf("order %v ok %v", order, ok)
	}
	want := [][]string{{"load"}, {"prep"}, {"train-a", "train-b"}, {"select"}}
	if got := g.Levels(); !reflect.DeepEqual(got, want) {
		t.Errorf("levels %v", got)
	}
	if _, ok := graph("a b", "a->b", "b->a").TopoSort(); ok {
		t.Error("cycle not detected by TopoSort")
	}
}

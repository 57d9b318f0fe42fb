// Package diagram draws a pipeline's DAG as Graphviz dot or Mermaid, each
// step labelled with the hardware it asks for, so a reviewer sees the shape
// and the placement at a glance.
package diagram

import (
	"fmt"
	"strings"

	"github.com/mlpipe/kubectl-mlpipe/pkg/model"
)

// Hardware summarises what and where a step runs: an instance's matrix
// values, GPU count, CPU and memory, node selectors.
func Hardware(s *model.Step) []string {
	var parts []string
	if s.Instance != nil {
		// Which combination of the fan-out this instance runs.
		parts = append(parts, model.DescribeCombination(s.Instance.Values))
	}
	r := &s.Settings
	if r.WantsGPU() {
		parts = append(parts, fmt.Sprintf("%d× %s", r.GPU.V, r.GPUResourceName()))
	}
	var res []string
	if r.CPU.Set {
		res = append(res, "cpu "+r.CPU.V)
	}
	if r.Memory.Set {
		res = append(res, "mem "+r.Memory.V)
	}
	if len(res) > 0 {
		parts = append(parts, strings.Join(res, ", "))
	}
	for _, e := range r.NodeSelector {
		parts = append(parts, e.Key+"="+e.V)
	}
	return parts
}

func edges(m *model.Model) [][2]string {
	var out [][2]string
	for _, s := range m.Steps {
		for _, d := range s.After {
			out = append(out, [2]string{d, s.Name})
		}
	}
	// Finally steps run after every leaf of the DAG.
	if len(m.Finally) > 0 {
		used := map[string]bool{}
		for _, s := range m.Steps {
			for _, d := range s.After {
				used[d] = true
			}
		}
		for _, s := range m.Steps {
			if !used[s.Name] {
				for _, f := range m.Finally {
					out = append(out, [2]string{s.Name, f.Name})
				}
			}
		}
	}
	return out
}

func dotQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// Dot renders the DAG in Graphviz dot.
func Dot(m *model.Model) string {
	var b strings.Builder
	fmt.Fprintf(&b, "digraph %s {\n", dotQuote(m.Name))
	b.WriteString("  rankdir=LR;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n")
	for _, s := range m.All() {
		label := strings.Join(append([]string{s.Name}, Hardware(s)...), `\n`)
		attrs := []string{"label=" + `"` + strings.ReplaceAll(label, `"`, `\"`) + `"`}
		if s.Settings.WantsGPU() {
			attrs = append(attrs, `color="darkgreen"`, "penwidth=2")
		}
		if s.Finally {
			attrs = append(attrs, `style="rounded,dashed"`)
		}
		if len(s.When) > 0 {
			attrs = append(attrs, `xlabel="when"`)
		}
		fmt.Fprintf(&b, "  %s [%s];\n", dotQuote(s.Name), strings.Join(attrs, ", "))
	}
	for _, e := range edges(m) {
		style := ""
		for _, f := range m.Finally {
			if f.Name == e[1] {
				style = " [style=dashed]"
			}
		}
		fmt.Fprintf(&b, "  %s -> %s%s;\n", dotQuote(e[0]), dotQuote(e[1]), style)
	}
	b.WriteString("}\n")
	return b.String()
}

// mermaidID makes a step name safe as a Mermaid node id.
func mermaidID(name string) string {
	return "s_" + strings.ReplaceAll(name, "-", "_")
}

// Mermaid renders the DAG as a Mermaid flowchart.
func Mermaid(m *model.Model) string {
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	for _, s := range m.All() {
		label := strings.Join(append([]string{"<b>" + s.Name + "</b>"}, Hardware(s)...), "<br/>")
		if len(s.When) > 0 {
			// As -o dot's xlabel: the step runs only when its conditions hold.
			label += "<br/><i>when</i>"
		}
		label = strings.ReplaceAll(label, `"`, "#quot;")
		open, closing := "[", "]"
		if s.Finally {
			open, closing = "([", "])"
		}
		fmt.Fprintf(&b, "  %s%s\"%s\"%s\n", mermaidID(s.Name), open, label, closing)
	}
	for _, e := range edges(m) {
		arrow := "-->"
		for _, f := range m.Finally {
			if f.Name == e[1] {
				arrow = "-.->"
			}
		}
		fmt.Fprintf(&b, "  %s %s %s\n", mermaidID(e[0]), arrow, mermaidID(e[1]))
	}
	var gpu, when []string
	for _, s := range m.All() {
		if s.Settings.WantsGPU() {
			gpu = append(gpu, mermaidID(s.Name))
		}
		if len(s.When) > 0 {
			when = append(when, mermaidID(s.Name))
		}
	}
	if len(gpu) > 0 {
		b.WriteString("  classDef gpu stroke:#2e7d32,stroke-width:3px\n")
		fmt.Fprintf(&b, "  class %s gpu\n", strings.Join(gpu, ","))
	}
	if len(when) > 0 {
		b.WriteString("  classDef when stroke-dasharray:5 3\n")
		fmt.Fprintf(&b, "  class %s when\n", strings.Join(when, ","))
	}
	return b.String()
}

package model

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/mlpipe/kubectl-mlpipe/pkg/refs"
	"github.com/mlpipe/kubectl-mlpipe/pkg/spec"
)

// MaxInstances caps a step's fan-out, as Tekton's
// default-max-matrix-combinations-count does by default.
const MaxInstances = 256

// Instance says a step is one instance of a fanned-out step.
type Instance struct {
	// Of is the step as written; Index is the instance's place in its fan-out.
	Of    string
	Index int
	// Values are this instance's matrix values, by key.
	Values map[string]string
}

// FanOut is one step with a matrix and the instances it became.
type FanOut struct {
	Step string
	Path *field.Path
	// Keys are the matrix keys, sorted; Axes their values when the fan-out
	// is a plain cross product (no include).
	Keys      []string
	Instances []*Step
	// Tekton is true when the fan-out is rendered as one Tekton task with a
	// matrix; Why says why it is expanded here instead.
	Tekton bool
	Why    string
}

// InstanceName is the name of instance i of step: DNS-valid, and stable for
// as long as the matrix is.
func InstanceName(step string, i int) string { return fmt.Sprintf("%s-%d", step, i) }

// CombinationKey identifies a combination of matrix values.
func CombinationKey(c map[string]string) string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "\x00" + c[k] + "\x00")
	}
	return b.String()
}

// DescribeCombination writes a combination as "depth=3, lr=0.1".
func DescribeCombination(c map[string]string) string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + c[k]
	}
	return strings.Join(parts, ", ")
}

// ProfileKey is KEY when a step's profile is exactly $(matrix.KEY): each
// instance then takes the profile its value names.
func ProfileKey(profile string) (string, bool) {
	rs, errs := refs.Parse(profile)
	if len(errs) > 0 || len(rs) != 1 || rs[0].Kind != refs.MatrixValue || rs[0].Text != profile {
		return "", false
	}
	return rs[0].Name, true
}

// ProfileVariants is the step once per profile its instances can take: a
// step whose profile is $(matrix.KEY) has one per distinct value of KEY.
func ProfileVariants(s *spec.Step) []*spec.Step {
	key, ok := ProfileKey(s.Profile)
	if !ok || s.Matrix == nil {
		return []*spec.Step{s}
	}
	var out []*spec.Step
	seen := map[string]bool{}
	for _, c := range s.Matrix.Combinations() {
		if v := c[key]; !seen[v] {
			seen[v] = true
			cp := *s
			cp.Profile = v
			out = append(out, &cp)
		}
	}
	return out
}

// FanOut returns the fan-out a step name (as written) became, or nil.
func (m *Model) FanOut(step string) *FanOut {
	for _, f := range m.FanOuts {
		if f.Step == step {
			return f
		}
	}
	return nil
}

// ExpandAllMatrices renders every fan-out as separate tasks, for clusters
// without Tekton's matrix.
func (m *Model) ExpandAllMatrices(why string) {
	for _, f := range m.FanOuts {
		if f.Tekton {
			f.Tekton, f.Why = false, why
		}
	}
}

// buildFanOut makes the instances of a step with a matrix.
func buildFanOut(p *spec.Pipeline, s *spec.Step, path *field.Path) (*FanOut, error) {
	f := &FanOut{Step: s.Name, Path: path, Keys: s.Matrix.Keys()}
	key, perProfile := ProfileKey(s.Profile)
	for i, c := range s.Matrix.Combinations() {
		cp := *s
		cp.Name = InstanceName(s.Name, i)
		if perProfile {
			cp.Profile = c[key]
		}
		st, err := buildStep(p, &cp, path, false)
		if err != nil {
			return nil, err
		}
		st.Instance = &Instance{Of: s.Name, Index: i, Values: c}
		f.Instances = append(f.Instances, st)
	}
	switch {
	case len(s.Matrix.Include) > 0:
		f.Why = "its include entries are explicit combinations"
	case perProfile:
		f.Why = "its profile differs per instance (" + s.Profile + ")"
	case f.Instances[0].Cache.Enabled:
		f.Why = "it is cached, and each instance is looked up on its own"
	default:
		f.Tekton = true
	}
	return f, nil
}

// linkFanOuts points edges to a fanned-out step at all its instances, and
// expands fan-outs whose outputs another step reads with [*] on the client:
// Tekton hands those on only as array params, which a script cannot read.
func (m *Model) linkFanOuts() {
	if len(m.FanOuts) == 0 {
		return
	}
	instances := map[string][]string{}
	for _, f := range m.FanOuts {
		for _, in := range f.Instances {
			instances[f.Step] = append(instances[f.Step], in.Name)
		}
	}
	for _, s := range m.All() {
		var after []string
		for _, a := range s.After {
			if names, ok := instances[a]; ok {
				after = append(after, names...)
			} else {
				after = append(after, a)
			}
		}
		s.After = dedupe(after)
		for _, r := range s.Refs {
			if r.Kind != refs.StepOutputs {
				continue
			}
			if f := m.FanOut(r.Step); f != nil && f.Tekton {
				f.Tekton, f.Why = false, "step "+s.Name+" reads its outputs with [*]"
			}
		}
	}
}

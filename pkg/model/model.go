// Package model turns a validated spec into the normalized form the
// renderers read: settings merged per step, references resolved to DAG
// edges, params given their run values. It is pure: no clients, files or clock.
package model

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/mlpipe/kubectl-mlpipe/pkg/dag"
	"github.com/mlpipe/kubectl-mlpipe/pkg/refs"
	"github.com/mlpipe/kubectl-mlpipe/pkg/spec"
)

// Model is one pipeline ready to render.
type Model struct {
	Name, Namespace, Description string
	Labels, Annotations          map[string]string
	Params                       []Param
	ServiceAccountName           string
	ImagePullSecrets             []string
	Timeout                      *time.Duration
	Workspace                    *spec.Workspace
	ArtifactStore                string
	// Pipeline holds the pipeline-level settings alone (spec.env, spec.settings).
	Pipeline Resolved
	Steps    []*Step
	Finally  []*Step
	// FanOuts are the steps with a matrix; their instances are in Steps.
	FanOuts []*FanOut
	// SpecSHA256 identifies the normalized spec a run came from.
	SpecSHA256 string
}

// Param is a run parameter with the value this run uses.
type Param struct {
	Name        string
	Description string
	Default     *string
	Value       string
	// FromFlag is true when -p set the value.
	FromFlag bool
}

// Step is one step with everything it needs resolved.
type Step struct {
	Name    string
	Finally bool
	// Path is the step's field path (spec.steps[i] or spec.finally[i]).
	Path       *field.Path
	Image      string
	ImageFrom  string
	Command    []string
	Args       []string
	Script     string
	WorkingDir string
	Outputs    []string
	// After holds explicit and data dependencies, in order of first mention.
	After []string
	// Written is the part of After the spec's after names; the rest is
	// implied by the outputs the step reads.
	Written  []string
	When     []spec.WhenExpression
	Retries  int
	Timeout  *time.Duration
	Profile  string
	Settings Resolved
	// Refs are the distinct references the step's fields use, in first-use order.
	Refs []refs.Ref
	// Cache is the step's cache setting (never enabled for finally steps).
	Cache Cache
	// Recipe is the sha256 of the step's definition: half of its cache key.
	Recipe string
	// Reused, when set, means the step does not run: its outputs come from
	// an earlier run. Build never sets it; pkg/reuse decides.
	Reused *Reused
	// Instance is set on each instance of a step with a matrix.
	Instance *Instance
}

// All returns the DAG steps followed by the finally steps.
func (m *Model) All() []*Step {
	out := make([]*Step, 0, len(m.Steps)+len(m.Finally))
	out = append(out, m.Steps...)
	return append(out, m.Finally...)
}

// Graph returns the DAG of the non-finally steps.
func (m *Model) Graph() *dag.Graph {
	g := dag.New()
	for _, s := range m.Steps {
		g.AddNode(s.Name)
	}
	for _, s := range m.Steps {
		for _, d := range s.After {
			g.AddEdge(s.Name, d)
		}
	}
	return g
}

// ParamError is a -p override that does not fit the spec.
type ParamError struct{ Msg string }

func (e *ParamError) Error() string { return e.Msg }

// Build makes the model of a spec that passed validation. overrides are the
// -p name=value pairs; an unknown name, or a param left without any value,
// is a *ParamError.
func Build(p *spec.Pipeline, overrides map[string]string) (*Model, error) {
	m := &Model{
		Name:               p.Metadata.Name,
		Namespace:          p.Metadata.Namespace,
		Description:        p.Spec.Description,
		Labels:             p.Metadata.Labels,
		Annotations:        p.Metadata.Annotations,
		ServiceAccountName: p.Spec.ServiceAccountName,
		ImagePullSecrets:   p.Spec.ImagePullSecrets,
		Workspace:          p.Spec.Workspace,
		ArtifactStore:      p.Spec.ArtifactStore,
		SpecSHA256:         SpecHash(p),
	}
	if err := m.buildParams(p.Spec.Params, overrides); err != nil {
		return nil, err
	}
	if p.Spec.Timeout != "" {
		d, err := time.ParseDuration(p.Spec.Timeout)
		if err != nil {
			return nil, fmt.Errorf("spec.timeout: %w", err)
		}
		m.Timeout = &d
	}
	root := field.NewPath("spec")
	m.Pipeline = Merge(PipelineLevels(p)...)
	for i := range p.Spec.Steps {
		if p.Spec.Steps[i].Matrix != nil {
			f, err := buildFanOut(p, &p.Spec.Steps[i], root.Child("steps").Index(i))
			if err != nil {
				return nil, err
			}
			m.FanOuts = append(m.FanOuts, f)
			m.Steps = append(m.Steps, f.Instances...)
			continue
		}
		s, err := buildStep(p, &p.Spec.Steps[i], root.Child("steps").Index(i), false)
		if err != nil {
			return nil, err
		}
		m.Steps = append(m.Steps, s)
	}
	for i := range p.Spec.Finally {
		s, err := buildStep(p, &p.Spec.Finally[i], root.Child("finally").Index(i), true)
		if err != nil {
			return nil, err
		}
		m.Finally = append(m.Finally, s)
	}
	m.linkFanOuts()
	return m, nil
}

func (m *Model) buildParams(ps []spec.Param, overrides map[string]string) error {
	declared := map[string]bool{}
	var missing []string
	for _, p := range ps {
		declared[p.Name] = true
		mp := Param{Name: p.Name, Description: p.Description, Default: p.Default}
		if v, ok := overrides[p.Name]; ok {
			mp.Value, mp.FromFlag = v, true
		} else if p.Default != nil {
			mp.Value = *p.Default
		} else {
			missing = append(missing, p.Name)
		}
		m.Params = append(m.Params, mp)
	}
	var unknown []string
	for k := range overrides {
		if !declared[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	names := make([]string, 0, len(ps))
	for _, p := range ps {
		names = append(names, p.Name)
	}
	known := "the pipeline declares no params"
	if len(names) > 0 {
		known = "declared: " + strings.Join(names, ", ")
	}
	switch {
	case len(unknown) == 1:
		return &ParamError{Msg: fmt.Sprintf("unknown param %q in -p (%s)", unknown[0], known)}
	case len(unknown) > 1:
		return &ParamError{Msg: fmt.Sprintf("unknown params %s in -p (%s)", strings.Join(unknown, ", "), known)}
	case len(missing) > 0:
		return &ParamError{Msg: fmt.Sprintf("param %s has no default: pass -p %s=VALUE", strings.Join(missing, ", "), missing[0])}
	}
	return nil
}

// PipelineLevels are the pipeline-wide layers: spec.env, then spec.settings.
func PipelineLevels(p *spec.Pipeline) []Level {
	root := field.NewPath("spec")
	return []Level{
		{Env: p.Spec.Env, EnvPath: root.Child("env")},
		{Settings: p.Spec.Settings, Path: root.Child("settings")},
	}
}

// StepLevels are every layer that applies to a step, lowest precedence first:
// pipeline settings and env, the profile, the step's settings, the step's env.
func StepLevels(p *spec.Pipeline, s *spec.Step, path *field.Path) []Level {
	levels := PipelineLevels(p)
	if s.Profile != "" {
		if prof, ok := p.Spec.Profiles[s.Profile]; ok {
			levels = append(levels, Level{Settings: &prof, Path: field.NewPath("spec", "profiles").Key(s.Profile)})
		}
	}
	return append(levels,
		Level{Settings: s.Settings, Path: path.Child("settings")},
		Level{Env: s.Env, EnvPath: path.Child("env")},
	)
}

func buildStep(p *spec.Pipeline, s *spec.Step, path *field.Path, finally bool) (*Step, error) {
	st := &Step{
		Name:       s.Name,
		Finally:    finally,
		Path:       path,
		Image:      s.Image,
		ImageFrom:  path.Child("image").String(),
		Command:    s.Command,
		Args:       s.Args,
		Script:     s.Script,
		WorkingDir: s.WorkingDir,
		Outputs:    s.Outputs,
		When:       s.When,
		Retries:    s.Retries,
		Profile:    s.Profile,
		Settings:   Merge(StepLevels(p, s, path)...),
	}
	if st.Image == "" {
		st.Image, st.ImageFrom = p.Spec.Image, "spec.image"
	}
	if s.Timeout != "" {
		d, err := time.ParseDuration(s.Timeout)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path.Child("timeout"), err)
		}
		st.Timeout = &d
	}
	if !finally {
		st.Cache = resolveCache(p.Spec.Cache, s.Cache, path)
	}
	st.Recipe = recipe(&Model{Workspace: p.Spec.Workspace, ArtifactStore: p.Spec.ArtifactStore}, st, st.Cache.Key)
	st.Refs = StepRefs(s, st.Settings.Env)
	after := append([]string(nil), s.After...)
	for _, r := range st.Refs {
		if r.Kind == refs.StepOutput || r.Kind == refs.StepOutputs {
			after = append(after, r.Step)
		}
	}
	st.After = dedupe(after)
	st.Written = dedupe(append([]string(nil), s.After...))
	return st, nil
}

// StepRefs returns the distinct references in every field of a step that may
// hold them, in first-use order.
func StepRefs(s *spec.Step, env []Entry[corev1.EnvVar]) []refs.Ref {
	var out []refs.Ref
	seen := map[string]bool{}
	add := func(text string) {
		rs, _ := refs.Parse(text)
		for _, r := range rs {
			if !seen[r.Text] {
				seen[r.Text] = true
				out = append(out, r)
			}
		}
	}
	for _, t := range s.Command {
		add(t)
	}
	for _, t := range s.Args {
		add(t)
	}
	add(s.Script)
	add(s.WorkingDir)
	for _, e := range env {
		add(e.V.Value)
	}
	for _, w := range s.When {
		add(w.Input)
		for _, v := range w.Values {
			add(v)
		}
	}
	return out
}

func dedupe(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	seen := map[string]bool{}
	out := make([]string, 0, len(in))
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// SpecHash is the sha256 of the spec's normalized JSON form: field order
// from the Go types, map keys sorted, comments and formatting gone.
func SpecHash(p *spec.Pipeline) string {
	b, _ := json.Marshal(p)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

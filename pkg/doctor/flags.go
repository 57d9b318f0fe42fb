package doctor

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tektoncd/pipeline/pkg/apis/config"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/mlpipe/kubectl-mlpipe/pkg/model"
	rendertekton "github.com/mlpipe/kubectl-mlpipe/pkg/render/tekton"
)

// The feature-flags keys that matter to kubectl-mlpipe.
const (
	FlagCoschedule         = "coschedule"
	FlagDisableAssistant   = "disable-affinity-assistant"
	FlagEnableAPIFields    = "enable-api-fields"
	FlagResultsFrom        = "results-from"
	FlagMaxResultSize      = "max-result-size"
	FlagDisableInlineSpecs = "disable-inline-spec"
)

// Flags are the feature flags kubectl-mlpipe depends on, with Tekton's
// defaults where the ConfigMap says nothing.
type Flags struct {
	// Coschedule is workspaces, pipelineruns, isolate-pipelinerun or disabled.
	Coschedule string
	// CoscheduleFrom is the key it was read from (coschedule, or the older
	// disable-affinity-assistant), or "" for Tekton's default.
	CoscheduleFrom string
	APIFields      string
	ResultsFrom    string
	MaxResultSize  int
	// DisableInlineSpec lists the kinds that may not embed specs (pipelinerun, pipeline, taskrun).
	DisableInlineSpec []string
	// Invalid holds the keys whose values Tekton does not accept.
	Invalid []string
}

// ParseFlags reads the feature-flags ConfigMap's data (nil: Tekton's defaults).
func ParseFlags(data map[string]string) Flags {
	f := Flags{
		Coschedule:    config.DefaultCoschedule,
		APIFields:     config.DefaultEnableAPIFields,
		ResultsFrom:   config.DefaultResultExtractionMethod,
		MaxResultSize: config.DefaultMaxResultSize,
	}
	pick := func(key string, dst *string, allowed ...string) bool {
		v, ok := data[key]
		if !ok {
			return false
		}
		v = strings.ToLower(strings.TrimSpace(v))
		if !slices.Contains(allowed, v) {
			f.Invalid = append(f.Invalid, fmt.Sprintf("%s: %q (want one of %s)", key, data[key], strings.Join(allowed, ", ")))
			return false
		}
		*dst = v
		return true
	}
	switch {
	case pick(FlagCoschedule, &f.Coschedule, config.CoscheduleWorkspaces, config.CoschedulePipelineRuns, config.CoscheduleIsolatePipelineRun, config.CoscheduleDisabled):
		f.CoscheduleFrom = FlagCoschedule
	case strings.EqualFold(strings.TrimSpace(data[FlagDisableAssistant]), "true"):
		// Releases from before coschedule turned the assistant off with this key.
		f.Coschedule, f.CoscheduleFrom = config.CoscheduleDisabled, FlagDisableAssistant
	}
	pick(FlagEnableAPIFields, &f.APIFields, config.StableAPIFields, config.BetaAPIFields, config.AlphaAPIFields)
	pick(FlagResultsFrom, &f.ResultsFrom, config.ResultExtractionMethodTerminationMessage, config.ResultExtractionMethodSidecarLogs)
	if v, ok := data[FlagMaxResultSize]; ok {
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n > 0 {
			f.MaxResultSize = n
		} else {
			f.Invalid = append(f.Invalid, fmt.Sprintf("%s: %q (want a number of bytes)", FlagMaxResultSize, v))
		}
	}
	for _, k := range strings.Split(data[FlagDisableInlineSpecs], ",") {
		if k = strings.TrimSpace(k); k != "" {
			f.DisableInlineSpec = append(f.DisableInlineSpec, k)
		}
	}
	return f
}

// OneNode reports whether Tekton puts every pod of a run of the pipeline on
// one node (its affinity assistant), and why.
func (f Flags) OneNode(u *Usage) (bool, string) {
	switch f.Coschedule {
	case config.CoschedulePipelineRuns, config.CoscheduleIsolatePipelineRun:
		return true, "coschedule: " + f.Coschedule + " puts every pod of a run there"
	case config.CoscheduleWorkspaces:
		if u != nil && u.Workspace {
			return true, "the steps share spec.workspace, and with coschedule: workspaces Tekton's affinity assistant puts the pods sharing a workspace there"
		}
	}
	return false, ""
}

// Usage is what a pipeline needs of the cluster's feature flags.
type Usage struct {
	// Workspace: the steps share spec.workspace, one PVC per run.
	Workspace bool
	// Matrix lists the steps fanned out with Tekton's matrix, a beta field.
	Matrix []string
}

// UsageOf reads what the model needs of the feature flags.
func UsageOf(m *model.Model) *Usage {
	u := &Usage{Workspace: m.Workspace != nil}
	for _, f := range m.FanOuts {
		if f.Tekton {
			u.Matrix = append(u.Matrix, f.Step)
		}
	}
	return u
}

// CheckFlags reads the feature flags that matter to kubectl-mlpipe and says
// what each means for it; u, when given, is what a spec needs of them.
func CheckFlags(ns string, cm *corev1.ConfigMap, err error, u *Usage) []Finding {
	var out []Finding
	where := fmt.Sprintf("ConfigMap %s/%s", ns, FlagsConfigMap)
	var data map[string]string
	switch {
	case apierrors.IsNotFound(err):
		out = append(out, Finding{Check: "feature-flags", Status: Warn, Message: fmt.Sprintf("no %s: reading Tekton's defaults", where)})
	case err != nil:
		out = append(out, Finding{Check: "feature-flags", Status: Warn, Message: fmt.Sprintf("cannot read the feature flags (%s): %v; reading Tekton's defaults", where, err)})
	case cm != nil:
		data = cm.Data
	}
	f := ParseFlags(data)
	for _, bad := range f.Invalid {
		out = append(out, Finding{Check: "feature-flags", Status: Warn, Message: fmt.Sprintf("invalid feature flag in %s: %s; Tekton's default used here", where, bad)})
	}
	out = append(out, coscheduleFinding(f, u), apiFieldsFinding(f, u, where), resultsFinding(f))
	if len(f.DisableInlineSpec) > 0 {
		out = append(out, inlineSpecFinding(f, where))
	}
	return out
}

func setting(key, value, from string) string {
	s := fmt.Sprintf("feature flag %s: %s", key, value)
	switch from {
	case "":
		s += " (Tekton's default)"
	case key:
	default:
		s += " (from " + from + ")"
	}
	return s
}

func coscheduleFinding(f Flags, u *Usage) Finding {
	out := Finding{Check: "feature-flag/" + FlagCoschedule, Status: OK}
	head := setting(FlagCoschedule, f.Coschedule, f.CoscheduleFrom)
	switch f.Coschedule {
	case config.CoscheduleWorkspaces:
		out.Message = head + " — Tekton's affinity assistant puts the pods that share a workspace on one node, so a pipeline with spec.workspace runs every step on one node; steps that need different nodes pass data through spec.artifactStore"
		if u != nil && u.Workspace {
			out.Message = head + " — this pipeline has spec.workspace, so every step must fit one node (checked below)"
		}
	case config.CoschedulePipelineRuns, config.CoscheduleIsolatePipelineRun:
		out.Status = Warn
		out.Message = head + " — every pod of a run goes to one node, workspace or not, so steps that need different nodes (a GPU step and a CPU step) cannot all be placed"
		if f.Coschedule == config.CoscheduleIsolatePipelineRun {
			out.Message += ", and one run at a time per node"
		}
	default:
		out.Message = head + " — pods are placed independently; a spec.workspace used by steps on different nodes needs ReadWriteMany storage"
	}
	return out
}

func apiFieldsFinding(f Flags, u *Usage, where string) Finding {
	out := Finding{Check: "feature-flag/" + FlagEnableAPIFields, Status: OK}
	from := FlagEnableAPIFields
	head := setting(FlagEnableAPIFields, f.APIFields, from)
	if f.APIFields != config.StableAPIFields {
		out.Message = head + " — what kubectl-mlpipe targets; a step's matrix runs as Tekton's (beta) matrix"
		return out
	}
	switch {
	case u != nil && len(u.Matrix) > 0:
		out.Status = Warn
		out.Message = fmt.Sprintf("%s — Tekton refuses beta fields, so run fans out step(s) %s on the client (one task per instance, as --expand-matrix does) instead of Tekton's matrix", head, strings.Join(u.Matrix, ", "))
		out.Fix = fmt.Sprintf("for Tekton's own matrix, set enable-api-fields: beta in %s", where)
		out.Field = "spec.steps[].matrix"
	case u != nil:
		out.Message = head + " — Tekton refuses beta fields; this pipeline uses none"
	default:
		out.Status = Warn
		out.Message = head + " — Tekton refuses beta fields, so a step with a matrix must fan out on the client (--expand-matrix on render and run)"
	}
	return out
}

func resultsFinding(f Flags) Finding {
	out := Finding{Check: "feature-flag/" + FlagResultsFrom, Status: OK}
	head := setting(FlagResultsFrom, f.ResultsFrom, FlagResultsFrom)
	if f.ResultsFrom == config.ResultExtractionMethodSidecarLogs {
		out.Message = fmt.Sprintf("%s — each step output may hold up to max-result-size (%d bytes), read from a sidecar's logs", head, f.MaxResultSize)
		return out
	}
	out.Message = fmt.Sprintf("%s — a step's outputs share its container's termination message, about %d KiB per step in all; larger data belongs in spec.artifactStore or spec.workspace", head, rendertekton.OutputBudget/1024)
	return out
}

func inlineSpecFinding(f Flags, where string) Finding {
	out := Finding{Check: "feature-flag/" + FlagDisableInlineSpecs, Status: OK}
	head := fmt.Sprintf("feature flag %s: %s", FlagDisableInlineSpecs, strings.Join(f.DisableInlineSpec, ","))
	var hit []string
	for _, k := range []string{"pipelinerun", "pipeline", "taskrun"} {
		if slices.Contains(f.DisableInlineSpec, k) {
			hit = append(hit, k)
		}
	}
	if len(hit) == 0 {
		out.Message = head + " — kubectl-mlpipe's embedded specs are allowed"
		return out
	}
	out.Status = Fail
	out.Message = head + " — Tekton refuses embedded specs in " + strings.Join(hit, ", ") + ", and every run kubectl-mlpipe makes embeds its pipelineSpec (in the PipelineRun) and each step's taskSpec (in the pipeline, then copied into its TaskRun)"
	out.Fix = fmt.Sprintf("remove %s from %s in %s", strings.Join(hit, ", "), FlagDisableInlineSpecs, where)
	return out
}

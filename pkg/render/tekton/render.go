// Package tekton renders a model into one tekton.dev/v1 PipelineRun that
// embeds its pipelineSpec and taskSpecs. It is pure: same model, same object.
package tekton

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/tektoncd/pipeline/pkg/apis/pipeline/pod"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/mlpipe/kubectl-mlpipe/pkg/model"
	"github.com/mlpipe/kubectl-mlpipe/pkg/refs"
)

// Labels and annotations the renderer sets.
const (
	LabelPipeline      = "mlpipe.dev/pipeline"
	LabelStep          = "mlpipe.dev/step"
	LabelManagedBy     = "app.kubernetes.io/managed-by"
	ManagedBy          = "kubectl-mlpipe"
	AnnotationSpecHash = "mlpipe.dev/spec-sha256"
	// LabelCacheKey is on the TaskRun of every step with caching on: the
	// step's recipe hash, the half of its cache key known before it runs.
	LabelCacheKey = "mlpipe.dev/cache-key"
	// AnnotationRecipe is on the TaskRun of every DAG step without caching:
	// the start of its recipe hash (ShortRecipe).
	AnnotationRecipe = "mlpipe.dev/recipe"
	// AnnotationReused is on a run that reuses steps: which, and from where.
	AnnotationReused    = "mlpipe.dev/reused"
	WorkspaceName       = "workspace"
	ContainerName       = "main"
	EnvArtifactURI      = "MLPIPE_ARTIFACT_URI"
	EnvArtifactRoot     = "MLPIPE_ARTIFACT_ROOT"
	paramRunName        = "_run-name"
	paramRunUID         = "_run-uid"
	paramRunNamespace   = "_run-namespace"
	paramRunStatus      = "_run-status"
	outputBudgetPerStep = 4096
)

// OutputBudget is what Tekton can carry in results per step: the container
// termination message is capped at 4 KiB, shared by all of a step's outputs.
const OutputBudget = outputBudgetPerStep

// Options change how a run is named.
type Options struct {
	// Name is the run's name. Empty means generateName: <pipeline>-.
	Name string
	// Explain records where every setting landed (render --explain); off,
	// no explanation is built, which saves a path string per setting.
	Explain bool
}

// Explanation says where one spec setting landed in the PipelineRun.
type Explanation struct {
	Spec   string `json:"spec"`
	Tekton string `json:"tekton,omitempty"`
	Step   string `json:"step,omitempty"`
	Note   string `json:"note,omitempty"`
}

type renderer struct {
	m        *model.Model
	opts     Options
	exp      []Explanation
	reusedBy map[string]*model.Reused
	// taskNames maps an instance Tekton's matrix runs to its pipeline task.
	taskNames map[string]string
}

func (r *renderer) explain(spec string, tekton *field.Path, step, note string) {
	if !r.opts.Explain {
		return
	}
	t := ""
	if tekton != nil {
		t = tekton.String()
	}
	r.exp = append(r.exp, Explanation{Spec: spec, Tekton: t, Step: step, Note: note})
}

// Render builds the PipelineRun and the explanation of every setting.
func Render(m *model.Model, opts Options) (*v1.PipelineRun, []Explanation) {
	r := &renderer{m: m, opts: opts}
	pr := &v1.PipelineRun{
		TypeMeta: metav1.TypeMeta{APIVersion: v1.SchemeGroupVersion.String(), Kind: "PipelineRun"},
	}
	md := field.NewPath("metadata")
	if opts.Name != "" {
		pr.Name = opts.Name
	} else {
		pr.GenerateName = m.Name + "-"
	}
	r.explain("metadata.name", md.Child("generateName"), "", "runs are named <name>-<suffix>")
	if m.Namespace != "" {
		pr.Namespace = m.Namespace
		r.explain("metadata.namespace", md.Child("namespace"), "", "")
	}
	pr.Labels = map[string]string{}
	for k, v := range m.Labels {
		pr.Labels[k] = v
		r.explain(field.NewPath("metadata", "labels").Key(k).String(), md.Child("labels").Key(k), "", "")
	}
	pr.Labels[LabelPipeline] = m.Name
	pr.Labels[LabelManagedBy] = ManagedBy
	pr.Annotations = map[string]string{}
	for k, v := range m.Annotations {
		pr.Annotations[k] = v
		r.explain(field.NewPath("metadata", "annotations").Key(k).String(), md.Child("annotations").Key(k), "", "")
	}
	pr.Annotations[AnnotationSpecHash] = m.SpecSHA256

	sp := field.NewPath("spec")
	ps := &v1.PipelineSpec{Description: m.Description}
	if m.Description != "" {
		r.explain("spec.description", sp.Child("pipelineSpec", "description"), "", "")
	}
	for i, p := range m.Params {
		pp := v1.ParamSpec{Name: p.Name, Type: v1.ParamTypeString, Description: p.Description}
		if p.Default != nil {
			pp.Default = v1.NewStructuredValues(*p.Default)
		}
		ps.Params = append(ps.Params, pp)
		pr.Spec.Params = append(pr.Spec.Params, v1.Param{Name: p.Name, Value: *v1.NewStructuredValues(p.Value)})
		src := field.NewPath("spec", "params").Index(i)
		r.explain(src.String(), sp.Child("pipelineSpec", "params").Index(i), "", "")
		r.explain(src.String(), sp.Child("params").Index(i), "", "the run's value")
	}
	if m.Workspace != nil {
		r.workspace(pr, ps)
	}
	if m.Timeout != nil {
		pr.Spec.Timeouts = &v1.TimeoutFields{Pipeline: &metav1.Duration{Duration: *m.Timeout}}
		r.explain("spec.timeout", sp.Child("timeouts", "pipeline"), "", "")
	}
	if m.ServiceAccountName != "" {
		pr.Spec.TaskRunTemplate.ServiceAccountName = m.ServiceAccountName
		r.explain("spec.serviceAccountName", sp.Child("taskRunTemplate", "serviceAccountName"), "", "")
	}
	pr.Spec.TaskRunTemplate.PodTemplate = r.podTemplate(&m.Pipeline, nil, sp.Child("taskRunTemplate", "podTemplate"), "")
	if m.ArtifactStore != "" {
		r.explain("spec.artifactStore", nil, "", "set as "+EnvArtifactURI+" and "+EnvArtifactRoot+" in every step's env (below)")
	}

	tasksPath := sp.Child("pipelineSpec", "tasks")
	finallyPath := sp.Child("pipelineSpec", "finally")
	for _, f := range m.FanOuts {
		if !f.Tekton {
			r.explainFanOut(f, nil)
		}
	}
	for _, s := range m.Steps {
		if s.Reused != nil {
			r.explainReused(s)
			continue
		}
		if f := r.tektonFanOut(s); f != nil {
			if s.Instance.Index == 0 {
				ps.Tasks = append(ps.Tasks, r.matrixTask(f, tasksPath.Index(len(ps.Tasks))))
			}
			continue
		}
		ps.Tasks = append(ps.Tasks, r.task(s, tasksPath.Index(len(ps.Tasks))))
	}
	if a := reusedAnnotation(m); a != "" {
		pr.Annotations[AnnotationReused] = a
	}
	for i, s := range m.Finally {
		ps.Finally = append(ps.Finally, r.task(s, finallyPath.Index(i)))
	}
	for _, s := range m.All() {
		if s.Reused != nil {
			continue
		}
		name := s.Name
		if f := r.tektonFanOut(s); f != nil {
			// One pod template serves every instance: they share their settings.
			if s.Instance.Index > 0 {
				continue
			}
			name = f.Step
		}
		tp := sp.Child("taskRunSpecs").Index(len(pr.Spec.TaskRunSpecs))
		tpl := r.podTemplate(&s.Settings, s, tp.Child("podTemplate"), name)
		sa := ""
		if set := s.Settings.ServiceAccountName; set.Set {
			sa = set.V
			r.explain(set.From, tp.Child("serviceAccountName"), name, "the step runs as this ServiceAccount")
		}
		if tpl != nil || sa != "" {
			pr.Spec.TaskRunSpecs = append(pr.Spec.TaskRunSpecs, v1.PipelineTaskRunSpec{PipelineTaskName: name, PodTemplate: tpl, ServiceAccountName: sa})
			r.explain(s.Path.Child("name").String(), tp.Child("pipelineTaskName"), name, "")
		}
	}
	pr.Spec.PipelineSpec = ps
	return pr, r.exp
}

func (r *renderer) workspace(pr *v1.PipelineRun, ps *v1.PipelineSpec) {
	ws := r.m.Workspace
	sp := field.NewPath("spec")
	ps.Workspaces = []v1.PipelineWorkspaceDeclaration{{Name: WorkspaceName, Description: "shared per-run volume"}}
	pvc := corev1.PersistentVolumeClaim{
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes:      ws.AccessModes,
			StorageClassName: ws.StorageClassName,
			Resources: corev1.VolumeResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(ws.Size)},
			},
		},
	}
	if len(pvc.Spec.AccessModes) == 0 {
		pvc.Spec.AccessModes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}
	}
	pr.Spec.Workspaces = []v1.WorkspaceBinding{{Name: WorkspaceName, VolumeClaimTemplate: &pvc}}
	vct := sp.Child("workspaces").Index(0).Child("volumeClaimTemplate", "spec")
	r.explain("spec.workspace.size", vct.Child("resources", "requests").Key("storage"), "", "")
	if ws.StorageClassName != nil {
		r.explain("spec.workspace.storageClassName", vct.Child("storageClassName"), "", "")
	}
	if len(ws.AccessModes) > 0 {
		r.explain("spec.workspace.accessModes", vct.Child("accessModes"), "", "")
	}
}

// internalParam names the task param that carries a reference into a task.
// User params start with a letter, so a leading "_" cannot collide.
func internalParam(ref refs.Ref) (name, value string) {
	switch ref.Kind {
	case refs.Param:
		return ref.Name, "$(params." + ref.Name + ")"
	case refs.StepOutput:
		return "_" + ref.Step + "_" + ref.Name, "$(tasks." + ref.Step + ".results." + ref.Name + ")"
	case refs.RunName:
		return paramRunName, "$(context.pipelineRun.name)"
	case refs.RunUID:
		return paramRunUID, "$(context.pipelineRun.uid)"
	case refs.RunNamespace:
		return paramRunNamespace, "$(context.pipelineRun.namespace)"
	case refs.RunStatus:
		return paramRunStatus, "$(tasks.status)"
	case refs.MatrixValue:
		// The value is the instance's (task) or the matrix's (matrixTask).
		return "__matrix_" + ref.Name, ""
	case refs.StepOutputs:
		// The value is built from the instances (aggregate).
		return "__all_" + ref.Step + "_" + ref.Name, ""
	}
	return "", ""
}

// inTask rewrites a reference for use inside the step's taskSpec.
func inTask(ref refs.Ref) string {
	switch ref.Kind {
	case refs.OutputPath:
		return "$(results." + ref.Name + ".path)"
	case refs.WorkspacePath:
		return "$(workspaces." + WorkspaceName + ".path)"
	}
	name, _ := internalParam(ref)
	return "$(params." + name + ")"
}

// inPipeline rewrites a reference for a pipeline-level field (when input).
func (r *renderer) inPipeline(ref refs.Ref) string {
	if lit, ok := r.literal(ref); ok {
		return lit
	}
	if ref.Kind == refs.StepOutputs {
		return r.aggregate(ref)
	}
	_, value := internalParam(ref)
	if value == "" {
		return ref.Text
	}
	return value
}

func taskStrings(in []string) []string {
	if in == nil {
		return nil
	}
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = refs.Replace(s, inTask)
	}
	return out
}

// explainAfter says where a step's after went, and which of its edges the
// user wrote and which the outputs it reads imply.
func (r *renderer) explainAfter(s *model.Step, runAfter []string, tp *field.Path) {
	var implied []string
	for _, a := range s.After {
		if !slices.Contains(s.Written, a) {
			implied = append(implied, a)
		}
	}
	var notes []string
	switch {
	case len(implied) == len(s.After):
		notes = append(notes, "implied, not written: it reads the outputs of "+strings.Join(implied, ", "))
	case len(implied) > 0:
		notes = append(notes, "written: "+strings.Join(s.Written, ", ")+"; implied by the outputs it reads: "+strings.Join(implied, ", "))
	}
	if len(runAfter) == 0 {
		r.explain(s.Path.Child("after").String(), nil, s.Name, strings.Join(append(notes, "every step it follows is reused"), "; "))
		return
	}
	if len(runAfter) < len(s.After) {
		notes = append(notes, "reused steps are left out (already done)")
	}
	r.explain(s.Path.Child("after").String(), tp.Child("runAfter"), s.Name, strings.Join(notes, "; "))
}

func (r *renderer) task(s *model.Step, tp *field.Path) v1.PipelineTask {
	m := r.m
	pt := v1.PipelineTask{Name: s.Name, Retries: s.Retries}
	r.explain(s.Path.Child("name").String(), tp.Child("name"), s.Name, "")
	if !s.Finally && len(s.After) > 0 {
		seen := map[string]bool{}
		for _, a := range s.After {
			if name := r.taskName(a); r.reused(a) == nil && !seen[name] {
				seen[name] = true
				pt.RunAfter = append(pt.RunAfter, name)
			}
		}
		if r.opts.Explain {
			r.explainAfter(s, pt.RunAfter, tp)
		}
	}
	if s.Retries > 0 {
		r.explain(s.Path.Child("retries").String(), tp.Child("retries"), s.Name, "")
	}
	if s.Timeout != nil {
		pt.Timeout = &metav1.Duration{Duration: *s.Timeout}
		r.explain(s.Path.Child("timeout").String(), tp.Child("timeout"), s.Name, "")
	}
	if s.Profile != "" {
		r.explain(s.Path.Child("profile").String(), nil, s.Name, "its settings are merged into the step (see the profile's fields)")
	}
	for i, w := range s.When {
		we := v1.WhenExpression{Input: refs.Replace(w.Input, r.inPipeline), Operator: selectionOperator(w.Operator)}
		for _, val := range w.Values {
			we.Values = append(we.Values, refs.Replace(val, r.inPipeline))
		}
		pt.When = append(pt.When, we)
		r.explain(s.Path.Child("when").Index(i).String(), tp.Child("when").Index(i), s.Name, "")
	}
	ts := v1.TaskSpec{}
	paramNames := map[string]bool{}
	for _, ref := range s.Refs {
		name, value := internalParam(ref)
		if name == "" || paramNames[name] {
			continue
		}
		// References in when are evaluated by the pipeline, not the task.
		if !usedInTask(s, ref) {
			continue
		}
		paramNames[name] = true
		switch {
		case ref.Kind == refs.MatrixValue:
			value = s.Instance.Values[ref.Name]
		case ref.Kind == refs.StepOutputs:
			value = r.aggregate(ref)
		}
		if lit, ok := r.literal(ref); ok {
			value = lit
		}
		pt.Params = append(pt.Params, v1.Param{Name: name, Value: *v1.NewStructuredValues(value)})
		ts.Params = append(ts.Params, v1.ParamSpec{Name: name, Type: v1.ParamTypeString})
	}
	for i, o := range s.Outputs {
		ts.Results = append(ts.Results, v1.TaskResult{Name: o, Type: v1.ResultsTypeString})
		r.explain(s.Path.Child("outputs").Index(i).String(), tp.Child("taskSpec", "results").Index(i), s.Name, "")
	}
	if m.Workspace != nil {
		ts.Workspaces = []v1.WorkspaceDeclaration{{Name: WorkspaceName}}
		pt.Workspaces = []v1.WorkspacePipelineTaskBinding{{Name: WorkspaceName, Workspace: WorkspaceName}}
	}
	cp := tp.Child("taskSpec", "steps").Index(0)
	st := v1.Step{
		Name:       ContainerName,
		Image:      s.Image,
		Command:    taskStrings(s.Command),
		Args:       taskStrings(s.Args),
		Script:     refs.Replace(s.Script, inTask),
		WorkingDir: refs.Replace(s.WorkingDir, inTask),
	}
	r.explain(s.ImageFrom, cp.Child("image"), s.Name, "")
	for _, f := range []struct {
		set  bool
		name string
	}{{len(s.Command) > 0, "command"}, {len(s.Args) > 0, "args"}, {s.Script != "", "script"}, {s.WorkingDir != "", "workingDir"}} {
		if f.set {
			r.explain(s.Path.Child(f.name).String(), cp.Child(f.name), s.Name, "")
		}
	}
	for i, e := range s.Settings.Env {
		ev := e.V
		ev.Value = refs.Replace(ev.Value, inTask)
		st.Env = append(st.Env, ev)
		r.explain(e.From, cp.Child("env").Index(i), s.Name, "")
	}
	for i, e := range s.Settings.EnvFrom {
		st.EnvFrom = append(st.EnvFrom, e.V)
		r.explain(e.From, cp.Child("envFrom").Index(i), s.Name, "")
	}
	if m.ArtifactStore != "" {
		run := "$(params." + paramRunName + ")"
		if !paramNames[paramRunName] {
			paramNames[paramRunName] = true
			pt.Params = append(pt.Params, v1.Param{Name: paramRunName, Value: *v1.NewStructuredValues("$(context.pipelineRun.name)")})
			ts.Params = append(ts.Params, v1.ParamSpec{Name: paramRunName, Type: v1.ParamTypeString})
		}
		st.Env = append(st.Env,
			corev1.EnvVar{Name: EnvArtifactURI, Value: m.ArtifactStore + "/" + run + "/" + s.Name},
			corev1.EnvVar{Name: EnvArtifactRoot, Value: m.ArtifactStore + "/" + run},
		)
		r.explain("spec.artifactStore", cp.Child("env").Index(len(st.Env)-2), s.Name, EnvArtifactURI)
		r.explain("spec.artifactStore", cp.Child("env").Index(len(st.Env)-1), s.Name, EnvArtifactRoot)
	}
	st.ComputeResources = r.resources(s, cp.Child("computeResources"))
	for i, vm := range s.Settings.VolumeMounts {
		st.VolumeMounts = append(st.VolumeMounts, vm.V)
		r.explain(vm.From, cp.Child("volumeMounts").Index(i), s.Name, "")
	}
	ts.Steps = []v1.Step{st}

	meta := v1.PipelineTaskMetadata{Labels: map[string]string{LabelStep: s.Name}}
	if s.Cache.Enabled {
		meta.Labels[LabelCacheKey] = CacheLabel(s.Recipe)
		r.explainCache(s, tp.Child("taskSpec", "metadata", "labels").Key(LabelCacheKey))
	} else if !s.Finally {
		// Enough for --resume --force to tell a changed step, at 16 bytes a step.
		meta.Annotations = map[string]string{AnnotationRecipe: ShortRecipe(s.Recipe)}
	}
	for _, l := range s.Settings.Labels {
		meta.Labels[l.Key] = l.V
		r.explain(l.From, tp.Child("taskSpec", "metadata", "labels").Key(l.Key), s.Name, "on the TaskRun and its pod")
	}
	for _, a := range s.Settings.Annotations {
		if meta.Annotations == nil {
			meta.Annotations = map[string]string{}
		}
		meta.Annotations[a.Key] = a.V
		r.explain(a.From, tp.Child("taskSpec", "metadata", "annotations").Key(a.Key), s.Name, "on the TaskRun and its pod")
	}
	pt.TaskSpec = &v1.EmbeddedTask{TaskSpec: ts, Metadata: meta}
	for _, o := range s.Settings.Overrides {
		r.explain(o.Lost, nil, s.Name, "overridden by "+o.By)
	}
	return pt
}

// usedInTask reports whether ref appears in a field the task itself reads
// (not only in when, which the pipeline evaluates).
func usedInTask(s *model.Step, ref refs.Ref) bool {
	fields := append(append([]string{s.Script, s.WorkingDir}, s.Command...), s.Args...)
	for _, e := range s.Settings.Env {
		fields = append(fields, e.V.Value)
	}
	for _, f := range fields {
		if strings.Contains(f, ref.Text) {
			return true
		}
	}
	return false
}

func selectionOperator(op string) selection.Operator {
	return selection.Operator(op)
}

func (r *renderer) resources(s *model.Step, p *field.Path) corev1.ResourceRequirements {
	set := s.Settings
	var rr corev1.ResourceRequirements
	put := func(list *corev1.ResourceList, name corev1.ResourceName, v model.Value[string], where *field.Path, note string) {
		if !v.Set {
			return
		}
		if *list == nil {
			*list = corev1.ResourceList{}
		}
		(*list)[name] = resource.MustParse(v.V)
		r.explain(v.From, where.Key(string(name)), s.Name, note)
	}
	req, lim := p.Child("requests"), p.Child("limits")
	put(&rr.Requests, corev1.ResourceCPU, set.CPU, req, "")
	put(&rr.Requests, corev1.ResourceMemory, set.Memory, req, "")
	put(&rr.Requests, corev1.ResourceEphemeralStorage, set.EphemeralStorage, req, "")
	put(&rr.Limits, corev1.ResourceCPU, set.LimitCPU, lim, "")
	put(&rr.Limits, corev1.ResourceEphemeralStorage, set.LimitEphemeralStorage, lim, "")
	if set.LimitMemory.Set {
		put(&rr.Limits, corev1.ResourceMemory, set.LimitMemory, lim, "")
	} else {
		put(&rr.Limits, corev1.ResourceMemory, set.Memory, lim, "the memory limit equals the request")
	}
	if set.WantsGPU() {
		name := corev1.ResourceName(set.GPUResourceName())
		if rr.Limits == nil {
			rr.Limits = corev1.ResourceList{}
		}
		rr.Limits[name] = *resource.NewQuantity(set.GPU.V, resource.DecimalSI)
		r.explain(set.GPU.From, lim.Key(string(name)), s.Name, "")
		if set.GPUResource.Set {
			r.explain(set.GPUResource.From, lim.Key(string(name)), s.Name, "the GPU resource name")
		}
	} else if set.GPU.Set {
		r.explain(set.GPU.From, nil, s.Name, "gpu: 0 asks for no GPU")
	}
	return rr
}

// podTemplate renders merged pod settings; step is nil for the pipeline-level template.
func (r *renderer) podTemplate(set *model.Resolved, step *model.Step, p *field.Path, stepName string) *pod.Template {
	tpl := &pod.Template{}
	empty := true
	note := ""
	if step == nil {
		note = "pipeline default (every step's own entry in taskRunSpecs carries it too)"
	}
	for _, e := range set.NodeSelector {
		if tpl.NodeSelector == nil {
			tpl.NodeSelector = map[string]string{}
		}
		tpl.NodeSelector[e.Key] = e.V
		r.explain(e.From, p.Child("nodeSelector").Key(e.Key), stepName, note)
		empty = false
	}
	for i, t := range set.Tolerations {
		tpl.Tolerations = append(tpl.Tolerations, t.V)
		r.explain(t.From, p.Child("tolerations").Index(i), stepName, note)
		empty = false
	}
	if step != nil && set.NeedsGPUToleration() {
		name := set.GPUResourceName()
		tpl.Tolerations = append(tpl.Tolerations, corev1.Toleration{Key: name, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule})
		r.explain(set.GPU.From, p.Child("tolerations").Index(len(tpl.Tolerations)-1), stepName, "automatic toleration of the "+name+" taint (pod.gpuToleration: false turns it off)")
		empty = false
	}
	// Each whole-value setting: set on the template and explained when set.
	for _, f := range []struct {
		set  bool
		from string
		name string
		put  func()
	}{
		{set.Affinity.Set, set.Affinity.From, "affinity", func() { tpl.Affinity = set.Affinity.V }},
		{set.TopologySpread.Set, set.TopologySpread.From, "topologySpreadConstraints", func() { tpl.TopologySpreadConstraints = set.TopologySpread.V }},
		{set.SecurityContext.Set, set.SecurityContext.From, "securityContext", func() { tpl.SecurityContext = set.SecurityContext.V }},
		{set.PriorityClassName.Set, set.PriorityClassName.From, "priorityClassName", func() { tpl.PriorityClassName = ptr(set.PriorityClassName.V) }},
		{set.RuntimeClassName.Set, set.RuntimeClassName.From, "runtimeClassName", func() { tpl.RuntimeClassName = ptr(set.RuntimeClassName.V) }},
		{set.SchedulerName.Set, set.SchedulerName.From, "schedulerName", func() { tpl.SchedulerName = set.SchedulerName.V }},
		{set.HostNetwork.Set, set.HostNetwork.From, "hostNetwork", func() { tpl.HostNetwork = set.HostNetwork.V }},
		{set.EnableServiceLinks.Set, set.EnableServiceLinks.From, "enableServiceLinks", func() { tpl.EnableServiceLinks = ptr(set.EnableServiceLinks.V) }},
		{set.AutomountToken.Set, set.AutomountToken.From, "automountServiceAccountToken", func() { tpl.AutomountServiceAccountToken = ptr(set.AutomountToken.V) }},
		{set.DNSPolicy.Set, set.DNSPolicy.From, "dnsPolicy", func() { tpl.DNSPolicy = ptr(set.DNSPolicy.V) }},
		{set.DNSConfig.Set, set.DNSConfig.From, "dnsConfig", func() { tpl.DNSConfig = set.DNSConfig.V }},
	} {
		if f.set {
			f.put()
			r.explain(f.from, p.Child(f.name), stepName, note)
			empty = false
		}
	}
	for i, v := range set.Volumes {
		tpl.Volumes = append(tpl.Volumes, v.V)
		r.explain(v.From, p.Child("volumes").Index(i), stepName, note)
		empty = false
	}
	if set.GPUToleration.Set && step != nil {
		r.explain(set.GPUToleration.From, nil, stepName, fmt.Sprintf("gpuToleration: %t", set.GPUToleration.V))
	}
	for i, h := range set.HostAliases {
		tpl.HostAliases = append(tpl.HostAliases, h.V)
		r.explain(h.From, p.Child("hostAliases").Index(i), stepName, note)
		empty = false
	}
	if len(r.m.ImagePullSecrets) > 0 {
		for i, s := range r.m.ImagePullSecrets {
			tpl.ImagePullSecrets = append(tpl.ImagePullSecrets, corev1.LocalObjectReference{Name: s})
			r.explain(field.NewPath("spec", "imagePullSecrets").Index(i).String(), p.Child("imagePullSecrets").Index(i), stepName, note)
		}
		empty = false
	}
	if empty {
		return nil
	}
	return tpl
}

// SortExplanations orders explanations by spec path, then Tekton path.
func SortExplanations(exp []Explanation) {
	sort.SliceStable(exp, func(i, j int) bool {
		if exp[i].Spec != exp[j].Spec {
			return exp[i].Spec < exp[j].Spec
		}
		return exp[i].Tekton < exp[j].Tekton
	})
}

func ptr[T any](v T) *T { return &v }

package doctor

import (
	tektonpod "github.com/tektoncd/pipeline/pkg/apis/pipeline/pod"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/mlpipe/kubectl-mlpipe/pkg/model"
)

// StepPod is a step as the scheduler will see it: the pod Tekton makes for
// its TaskRun, built from the compiled PipelineRun.
type StepPod struct {
	// Step is the pipeline task's name (a fanned-out step's own name).
	Step string
	// Model is the step in the model: where each of its settings was written.
	Model *model.Step
	Pod   *corev1.Pod
}

// StepPods builds the pod of every pipeline task in the run (tasks, then
// finally), as Tekton does: the task's entry in taskRunSpecs merged over
// taskRunTemplate (Tekton's own merge), its service account, and its step
// containers with their compute resources, requests defaulted to limits
// as the API server does.
func StepPods(m *model.Model, pr *v1.PipelineRun) []StepPod {
	ps := pr.Spec.PipelineSpec
	if ps == nil {
		return nil
	}
	var out []StepPod
	for _, list := range [][]v1.PipelineTask{ps.Tasks, ps.Finally} {
		for i := range list {
			t := &list[i]
			out = append(out, StepPod{Step: t.Name, Model: modelStep(m, t.Name), Pod: podFor(pr, t)})
		}
	}
	return out
}

// modelStep is the step a pipeline task runs: the step of that name, or for
// a task Tekton fans out, the first of its instances (they share settings).
func modelStep(m *model.Model, task string) *model.Step {
	if m == nil {
		return nil
	}
	for _, s := range m.All() {
		if s.Name == task {
			return s
		}
	}
	if f := m.FanOut(task); f != nil && len(f.Instances) > 0 {
		return f.Instances[0]
	}
	return nil
}

func podFor(pr *v1.PipelineRun, t *v1.PipelineTask) *corev1.Pod {
	var tpl *tektonpod.Template
	sa := pr.Spec.TaskRunTemplate.ServiceAccountName
	for _, s := range pr.Spec.TaskRunSpecs {
		if s.PipelineTaskName != t.Name {
			continue
		}
		if s.PodTemplate != nil {
			tpl = s.PodTemplate.DeepCopy()
		}
		if s.ServiceAccountName != "" {
			sa = s.ServiceAccountName
		}
	}
	var def *tektonpod.Template
	if pr.Spec.TaskRunTemplate.PodTemplate != nil {
		def = pr.Spec.TaskRunTemplate.PodTemplate.DeepCopy()
	}
	tpl = tektonpod.MergePodTemplateWithDefault(tpl, def)
	if sa == "" {
		sa = "default"
	}
	p := &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: t.Name, Namespace: pr.Namespace},
		Spec:       corev1.PodSpec{ServiceAccountName: sa},
	}
	if tpl != nil {
		p.Spec.NodeSelector = tpl.NodeSelector
		p.Spec.Tolerations = tpl.Tolerations
		p.Spec.Affinity = tpl.Affinity
		p.Spec.SchedulerName = tpl.SchedulerName
		p.Spec.ImagePullSecrets = tpl.ImagePullSecrets
		p.Spec.Volumes = tpl.Volumes
		p.Spec.SecurityContext = tpl.SecurityContext
		if tpl.PriorityClassName != nil {
			p.Spec.PriorityClassName = *tpl.PriorityClassName
		}
		p.Spec.RuntimeClassName = tpl.RuntimeClassName
	}
	if t.TaskSpec != nil {
		for _, s := range t.TaskSpec.Steps {
			c := corev1.Container{
				Name: "step-" + s.Name, Image: s.Image, Env: s.Env, VolumeMounts: s.VolumeMounts,
				Resources: *s.ComputeResources.DeepCopy(),
			}
			defaultRequests(&c.Resources)
			p.Spec.Containers = append(p.Spec.Containers, c)
		}
	}
	return p
}

// defaultRequests sets a request equal to the limit where only the limit is
// given, as the API server's defaulting does (a GPU count is a limit only).
func defaultRequests(r *corev1.ResourceRequirements) {
	for name, q := range r.Limits {
		if _, ok := r.Requests[name]; ok {
			continue
		}
		if r.Requests == nil {
			r.Requests = corev1.ResourceList{}
		}
		r.Requests[name] = q.DeepCopy()
	}
}

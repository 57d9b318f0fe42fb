package tekton

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// AnnotationContent is on every Task and Pipeline of a referenced run: the
// whole SHA-256 of its spec, of which the name carries the first 8 hex
// digits. Two specs with the same short hash are told apart by it.
const AnnotationContent = "mlpipe.dev/content-sha256"

// Referenced is a run split into the objects it refers to: one Task per
// distinct task shape, the Pipeline that names them, and the PipelineRun
// that names the Pipeline. Tasks and Pipeline are named by content hash,
// so a second run of the same spec refers to the same objects.
type Referenced struct {
	Tasks    []*v1.Task
	Pipeline *v1.Pipeline
	Run      *v1.PipelineRun
}

// Objects are the referenced objects in the order they must be written:
// Tasks, then the Pipeline, then the run that needs both.
func (r *Referenced) Objects() []Object {
	out := make([]Object, 0, len(r.Tasks)+2)
	for _, t := range r.Tasks {
		out = append(out, t)
	}
	return append(out, r.Pipeline, r.Run)
}

// Object is any of the kinds a render writes.
type Object interface {
	runtime.Object
	metav1.Object
}

// Reference splits an embedded run (as Render makes it) into referenced
// form. Each pipeline task's taskSpec becomes a Task and a taskRef; the
// labels and annotations Render put on the taskSpec (the step's name, its
// cache key, the user's) move to the run's taskRunSpecs, which Tekton puts
// on the TaskRun just the same, so steps that differ only there share a
// Task. Pod settings stay in taskRunSpecs as in the embedded form.
func Reference(embedded *v1.PipelineRun) *Referenced {
	pr := embedded.DeepCopy()
	pipeline := pr.Labels[LabelPipeline]
	// Only labels every run of the spec shares: Tekton copies a Task's and a
	// Pipeline's labels onto the TaskRuns of every run that uses them.
	labels := map[string]string{LabelPipeline: pipeline, LabelManagedBy: ManagedBy}
	out := &Referenced{Run: pr}
	ps := pr.Spec.PipelineSpec
	pr.Spec.PipelineSpec = nil
	byHash := map[string]*v1.Task{}
	for _, list := range [][]v1.PipelineTask{ps.Tasks, ps.Finally} {
		for i := range list {
			pt := &list[i]
			if pt.TaskSpec == nil {
				continue
			}
			if md := pt.TaskSpec.Metadata; len(md.Labels)+len(md.Annotations) > 0 {
				trs := taskRunSpec(pr, pt.Name)
				trs.Metadata = &v1.PipelineTaskMetadata{Labels: md.Labels, Annotations: md.Annotations}
			}
			sum := contentHash(pt.TaskSpec.TaskSpec)
			task := byHash[sum]
			if task == nil {
				task = &v1.Task{
					TypeMeta:   metav1.TypeMeta{APIVersion: v1.SchemeGroupVersion.String(), Kind: "Task"},
					ObjectMeta: metav1.ObjectMeta{Name: HashName(pipeline, sum), Namespace: pr.Namespace, Labels: labels, Annotations: map[string]string{AnnotationContent: sum}},
					Spec:       pt.TaskSpec.TaskSpec,
				}
				byHash[sum] = task
				out.Tasks = append(out.Tasks, task)
			}
			pt.TaskSpec = nil
			pt.TaskRef = &v1.TaskRef{Name: task.Name, Kind: v1.NamespacedTaskKind}
		}
	}
	sum := contentHash(ps)
	out.Pipeline = &v1.Pipeline{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1.SchemeGroupVersion.String(), Kind: "Pipeline"},
		ObjectMeta: metav1.ObjectMeta{Name: HashName(pipeline, sum), Namespace: pr.Namespace, Labels: labels, Annotations: map[string]string{AnnotationContent: sum}},
		Spec:       *ps,
	}
	pr.Spec.PipelineRef = &v1.PipelineRef{Name: out.Pipeline.Name}
	return out
}

// Inline is Reference undone: the run with its Pipeline's spec embedded and
// each taskRef replaced by the Task's spec (tasks by name), the metadata
// moved back from taskRunSpecs. Readers use it to see a referenced run as
// they see an embedded one. A Task missing from tasks is an error naming it.
func Inline(pr *v1.PipelineRun, pipeline *v1.Pipeline, tasks map[string]*v1.Task) (*v1.PipelineRun, error) {
	out := pr.DeepCopy()
	ps := pipeline.Spec.DeepCopy()
	keep := out.Spec.TaskRunSpecs[:0]
	meta := map[string]*v1.PipelineTaskMetadata{}
	for _, trs := range out.Spec.TaskRunSpecs {
		if trs.Metadata != nil {
			meta[trs.PipelineTaskName] = trs.Metadata
			trs.Metadata = nil
		}
		if trs.PodTemplate != nil || trs.ServiceAccountName != "" || len(trs.StepSpecs)+len(trs.SidecarSpecs) > 0 || trs.ComputeResources != nil {
			keep = append(keep, trs)
		}
	}
	out.Spec.TaskRunSpecs = keep
	if len(keep) == 0 {
		out.Spec.TaskRunSpecs = nil
	}
	for _, list := range [][]v1.PipelineTask{ps.Tasks, ps.Finally} {
		for i := range list {
			pt := &list[i]
			if pt.TaskRef == nil || pt.TaskRef.Resolver != "" {
				continue
			}
			task, ok := tasks[pt.TaskRef.Name]
			if !ok {
				return nil, fmt.Errorf("step %s refers to Task %s, which is not in namespace %q (deleted?)", pt.Name, pt.TaskRef.Name, pr.Namespace)
			}
			et := &v1.EmbeddedTask{TaskSpec: *task.Spec.DeepCopy()}
			if md := meta[pt.Name]; md != nil {
				et.Metadata = *md
			}
			pt.TaskRef, pt.TaskSpec = nil, et
		}
	}
	out.Spec.PipelineRef = nil
	out.Spec.PipelineSpec = ps
	return out, nil
}

// IsReferenced reports whether pr names a Pipeline instead of embedding it.
func IsReferenced(pr *v1.PipelineRun) bool {
	return pr.Spec.PipelineSpec == nil && pr.Spec.PipelineRef != nil && pr.Spec.PipelineRef.Name != ""
}

// TaskNames are the Tasks a Pipeline refers to by name, in order, once each.
func TaskNames(p *v1.Pipeline) []string {
	seen := map[string]bool{}
	var out []string
	for _, list := range [][]v1.PipelineTask{p.Spec.Tasks, p.Spec.Finally} {
		for _, pt := range list {
			if pt.TaskRef != nil && pt.TaskRef.Resolver == "" && !seen[pt.TaskRef.Name] {
				seen[pt.TaskRef.Name] = true
				out = append(out, pt.TaskRef.Name)
			}
		}
	}
	return out
}

// HashName is <prefix>-<first 8 hex digits of sum>, the prefix shortened
// so the name stays within the 63 characters Tekton allows.
func HashName(prefix, sum string) string {
	const max = 63 - 9
	if len(prefix) > max {
		prefix = prefix[:max]
	}
	return prefix + "-" + sum[:8]
}

func taskRunSpec(pr *v1.PipelineRun, task string) *v1.PipelineTaskRunSpec {
	for i := range pr.Spec.TaskRunSpecs {
		if pr.Spec.TaskRunSpecs[i].PipelineTaskName == task {
			return &pr.Spec.TaskRunSpecs[i]
		}
	}
	pr.Spec.TaskRunSpecs = append(pr.Spec.TaskRunSpecs, v1.PipelineTaskRunSpec{PipelineTaskName: task})
	return &pr.Spec.TaskRunSpecs[len(pr.Spec.TaskRunSpecs)-1]
}

// contentHash is the SHA-256 of v's JSON: Go's encoder sorts map keys, so
// equal specs hash alike.
func contentHash(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		// Specs built from Go values always marshal.
		panic(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// PipelineSpecOf is the pipeline a run runs: its own, else (a referenced
// run) the copy Tekton keeps in its status once it has read the Pipeline,
// whose tasks name their Tasks. Nil before Tekton has read it.
func PipelineSpecOf(pr *v1.PipelineRun) *v1.PipelineSpec {
	if pr.Spec.PipelineSpec != nil {
		return pr.Spec.PipelineSpec
	}
	return pr.Status.PipelineSpec
}

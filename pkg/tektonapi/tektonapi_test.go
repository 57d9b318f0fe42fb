package tektonapi

import (
	"context"
	"strings"
	"testing"

	"github.com/tektoncd/pipeline/pkg/apis/pipeline/pod"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestParseRelease(t *testing.T) {
	for in, want := range map[string]string{"v0.50.5": "v0.50.5", "0.38.3": "v0.38.3", "v1.15": "v1.15.0", "v1.3.1-rc.2": "v1.3.1", " v1.0.0+dirty": "v1.0.0"} {
		r, err := ParseRelease(in)
		if err != nil || r.String() != want {
			t.Errorf("%q: got %v, %v; want %s", in, r, err, want)
		}
	}
	for _, bad := range []string{"", "devel", "v1", "v1.x.0", "v1.2.3.4", "v-1.2.0"} {
		if _, err := ParseRelease(bad); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
	if !MustParse("v0.38.3").Less(MustParse("v0.44.0")) || MustParse("v1.0.0").Less(MustParse("v0.99.9")) || !MustParse("v1.2.3").AtLeast(MustParse("v1.2.3")) {
		t.Error("ordering")
	}
}

func pipelineRun() *v1.PipelineRun {
	return &v1.PipelineRun{
		ObjectMeta: metav1.ObjectMeta{Name: "p-abcde"},
		Spec: v1.PipelineRunSpec{
			PipelineSpec: &v1.PipelineSpec{Tasks: []v1.PipelineTask{{
				Name:        "train",
				Description: "fits the model",
				TaskSpec:    &v1.EmbeddedTask{TaskSpec: v1.TaskSpec{Steps: []v1.Step{{Name: "main", Image: "busybox", Script: "echo hi"}}}},
			}}},
			TaskRunSpecs: []v1.PipelineTaskRunSpec{{PipelineTaskName: "train"}},
		},
	}
}

// Fields a release lacks: a cosmetic one is left out, any other refuses
// the run and is named with its task and the first release that has it.
func TestFit(t *testing.T) {
	ctx := context.Background()
	pr := pipelineRun()
	b, err := ToV1beta1(ctx, pr)
	if err != nil {
		t.Fatal(err)
	}
	dropped, unknown, err := Fit(b, "v1beta1", MustParse("v0.38.3"))
	if err != nil || len(unknown) != 0 || strings.Join(dropped, ",") != "spec.pipelineSpec.tasks[0].description" {
		t.Fatalf("got dropped %v, unknown %v, %v", dropped, unknown, err)
	}
	if b.Spec.PipelineSpec.Tasks[0].Description != "" || b.Spec.PipelineSpec.Tasks[0].TaskSpec.Steps[0].Script != "echo hi" {
		t.Fatalf("the description must go and the rest stay: %+v", b.Spec.PipelineSpec.Tasks[0])
	}
	// v0.50.5 has task descriptions: nothing to drop.
	if dropped, unknown, _ := Fit(pipelineRun(), "v1", MustParse("v0.50.5")); len(dropped)+len(unknown) != 0 {
		t.Fatalf("v0.50.5: %v %v", dropped, unknown)
	}

	pr = pipelineRun()
	pr.Spec.TaskRunSpecs[0].PodTemplate = &pod.Template{TopologySpreadConstraints: []corev1.TopologySpreadConstraint{{MaxSkew: 1, TopologyKey: "zone"}}, NodeSelector: map[string]string{"pool": "gpu"}}
	b, _ = ToV1beta1(ctx, pr)
	_, unknown, _ = Fit(b, "v1beta1", MustParse("v0.38.3"))
	if len(unknown) != 1 || unknown[0].Task != "train" || unknown[0].Path != "spec.taskRunSpecs[0].taskPodTemplate.topologySpreadConstraints" || unknown[0].First.String() != "v0.44.0" {
		t.Fatalf("got %+v", unknown)
	}
	if b.Spec.TaskRunSpecs[0].TaskPodTemplate.TopologySpreadConstraints == nil {
		t.Fatal("a refused object must be left as it was")
	}
	msg := Describe(unknown, MustParse("v0.38.3"))
	if !strings.Contains(msg, "Tekton Pipelines v0.38.3 would silently drop") || !strings.Contains(msg, "topologySpreadConstraints needs Tekton v0.44.0 or later") {
		t.Fatal(msg)
	}
	if _, unknown, _ = Fit(pr, "v1", MustParse("v1.15.1")); len(unknown) != 0 {
		t.Fatalf("v1.15.1: %v", unknown)
	}

	// A task field from v0.53 names its task; a field no release has is said so.
	pr = pipelineRun()
	pr.Spec.PipelineSpec.Tasks[0].OnError = v1.PipelineTaskContinue
	_, unknown, _ = Fit(pr, "v1", MustParse("v0.50.5"))
	if len(unknown) != 1 || unknown[0].Task != "train" || unknown[0].First.String() != "v0.53.6" {
		t.Fatalf("got %+v", unknown)
	}
	if s := unknown[0].String(); s != "task train: spec.pipelineSpec.tasks[0].onError needs Tekton v0.53.6 or later" {
		t.Fatal(s)
	}
	if s := (Unknown{Path: "spec.bogus"}).String(); !strings.Contains(s, "in no Tekton release") {
		t.Fatal(s)
	}
}

func TestConvertRoundTrip(t *testing.T) {
	ctx := context.Background()
	pr := pipelineRun()
	pr.Spec.TaskRunTemplate.ServiceAccountName = "ml-runner"
	b, err := ToV1beta1(ctx, pr)
	if err != nil || b.APIVersion != V1beta1 || b.Spec.ServiceAccountName != "ml-runner" {
		t.Fatalf("got %+v, %v", b, err)
	}
	back, err := PipelineRunToV1(ctx, b)
	if err != nil || back.Spec.TaskRunTemplate.ServiceAccountName != "ml-runner" || back.Spec.PipelineSpec.Tasks[0].TaskSpec.Steps[0].Script != "echo hi" {
		t.Fatalf("got %+v, %v", back, err)
	}
}

func TestTargetFlags(t *testing.T) {
	for _, c := range []struct {
		rel   string
		flags map[string]string
		co    string
		mx    bool
	}{
		{"v0.38.3", nil, "workspaces", false},
		{"v0.38.3", map[string]string{"disable-affinity-assistant": "true", "enable-api-fields": "alpha", "embedded-status": "full"}, "disabled", false},
		{"v0.38.3", map[string]string{"enable-api-fields": "alpha", "embedded-status": "minimal"}, "workspaces", true},
		{"v0.50.5", nil, "workspaces", false},
		{"v0.50.5", map[string]string{"disable-affinity-assistant": "true"}, "disabled", false},
		{"v0.50.5", map[string]string{"disable-affinity-assistant": "true", "coschedule": "pipelineruns", "enable-api-fields": "alpha"}, "pipelineruns", true},
		{"v0.59.6", nil, "workspaces", true},
		{"v1.15.1", nil, "workspaces", true},
		{"v1.15.1", map[string]string{"coschedule": "disabled", "enable-api-fields": "stable"}, "disabled", false},
	} {
		tg := Target{Release: MustParse(c.rel), Flags: c.flags}
		ok, why := tg.MatrixAllowed()
		if tg.Coschedule() != c.co || ok != c.mx || (ok == (why != "")) {
			t.Errorf("%s %v: coschedule %s, matrix %v (%s); want %s, %v", c.rel, c.flags, tg.Coschedule(), ok, why, c.co, c.mx)
		}
	}
}

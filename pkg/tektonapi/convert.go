package tektonapi

//lint:file-ignore SA1019 clusters that serve only tekton.dev/v1beta1 are what this file is for

import (
	"context"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"github.com/tektoncd/pipeline/pkg/apis/pipeline/v1beta1"
	"k8s.io/apimachinery/pkg/runtime"
)

// API versions a PipelineRun can be sent as.
const (
	V1      = "tekton.dev/v1"
	V1beta1 = "tekton.dev/v1beta1"
)

// ToV1beta1 converts a v1 PipelineRun with Tekton's own conversion code, the
// code its webhook runs.
func ToV1beta1(ctx context.Context, pr *v1.PipelineRun) (*v1beta1.PipelineRun, error) {
	out := &v1beta1.PipelineRun{}
	if err := out.ConvertFrom(ctx, pr.DeepCopy()); err != nil {
		return nil, err
	}
	out.TypeMeta.APIVersion = V1beta1
	out.TypeMeta.Kind = "PipelineRun"
	return out, nil
}

// PipelineRunToV1 converts a v1beta1 PipelineRun read from a cluster.
func PipelineRunToV1(ctx context.Context, pr *v1beta1.PipelineRun) (*v1.PipelineRun, error) {
	out := &v1.PipelineRun{}
	if err := pr.DeepCopy().ConvertTo(ctx, out); err != nil {
		return nil, err
	}
	out.TypeMeta.APIVersion = V1
	out.TypeMeta.Kind = "PipelineRun"
	return out, nil
}

// TaskRunToV1 converts a v1beta1 TaskRun read from a cluster.
func TaskRunToV1(ctx context.Context, tr *v1beta1.TaskRun) (*v1.TaskRun, error) {
	out := &v1.TaskRun{}
	if err := tr.DeepCopy().ConvertTo(ctx, out); err != nil {
		return nil, err
	}
	out.TypeMeta.APIVersion = V1
	out.TypeMeta.Kind = "TaskRun"
	return out, nil
}

// TaskToV1beta1 converts a v1 Task with Tekton's own conversion code.
func TaskToV1beta1(ctx context.Context, t *v1.Task) (*v1beta1.Task, error) {
	out := &v1beta1.Task{}
	if err := out.ConvertFrom(ctx, t.DeepCopy()); err != nil {
		return nil, err
	}
	out.TypeMeta.APIVersion = V1beta1
	out.TypeMeta.Kind = "Task"
	return out, nil
}

// TaskToV1 converts a v1beta1 Task read from a cluster.
func TaskToV1(ctx context.Context, t *v1beta1.Task) (*v1.Task, error) {
	out := &v1.Task{}
	if err := t.DeepCopy().ConvertTo(ctx, out); err != nil {
		return nil, err
	}
	out.TypeMeta.APIVersion = V1
	out.TypeMeta.Kind = "Task"
	return out, nil
}

// PipelineToV1beta1 converts a v1 Pipeline with Tekton's own conversion code.
func PipelineToV1beta1(ctx context.Context, p *v1.Pipeline) (*v1beta1.Pipeline, error) {
	out := &v1beta1.Pipeline{}
	if err := out.ConvertFrom(ctx, p.DeepCopy()); err != nil {
		return nil, err
	}
	out.TypeMeta.APIVersion = V1beta1
	out.TypeMeta.Kind = "Pipeline"
	return out, nil
}

// PipelineToV1 converts a v1beta1 Pipeline read from a cluster.
func PipelineToV1(ctx context.Context, p *v1beta1.Pipeline) (*v1.Pipeline, error) {
	out := &v1.Pipeline{}
	if err := p.DeepCopy().ConvertTo(ctx, out); err != nil {
		return nil, err
	}
	out.TypeMeta.APIVersion = V1
	out.TypeMeta.Kind = "Pipeline"
	return out, nil
}

// ToAPI converts a v1 PipelineRun, Pipeline or Task to api (V1 or
// V1beta1); other objects, and V1, are returned as they are.
func ToAPI(ctx context.Context, obj runtime.Object, api string) (runtime.Object, error) {
	if api != V1beta1 {
		return obj, nil
	}
	switch o := obj.(type) {
	case *v1.PipelineRun:
		return ToV1beta1(ctx, o)
	case *v1.Pipeline:
		return PipelineToV1beta1(ctx, o)
	case *v1.Task:
		return TaskToV1beta1(ctx, o)
	}
	return obj, nil
}

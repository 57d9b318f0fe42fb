package tektonapi

//lint:file-ignore SA1019 clusters that serve only tekton.dev/v1beta1 are what this file is for

import (
	"context"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"github.com/tektoncd/pipeline/pkg/apis/pipeline/v1beta1"
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

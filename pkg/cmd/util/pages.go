package util

import (
	"context"
	"fmt"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	tekton "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ChunkSize is how many runs one LIST asks for, as kubectl's --chunk-size:
// a namespace with thousands of runs is read in pages, so no one response
// (and no one apiserver buffer) holds them all.
const ChunkSize = 500

// ListRuns lists the runs matching opts in pages of chunk (0: one LIST),
// calling page with each page's runs as it arrives. A continue token that
// expired (the list took longer than etcd keeps its revision) is said so.
func ListRuns(ctx context.Context, tc tekton.Interface, ns string, opts metav1.ListOptions, chunk int64, page func([]v1.PipelineRun) error) error {
	return paged(opts, chunk, func(o metav1.ListOptions) ([]v1.PipelineRun, string, error) {
		list, err := tc.TektonV1().PipelineRuns(ns).List(ctx, o)
		if err != nil {
			return nil, "", err
		}
		return list.Items, list.Continue, nil
	}, page)
}

// paged calls fetch for each page of chunk runs (or their metadata) (0: one LIST) and page
// with its runs, following the continue tokens.
func paged[T any](opts metav1.ListOptions, chunk int64, fetch func(metav1.ListOptions) ([]T, string, error), page func([]T) error) error {
	opts.Limit = chunk
	for {
		items, cont, err := fetch(opts)
		if apierrors.IsResourceExpired(err) {
			return fmt.Errorf("the list of runs changed too much while it was read in pages of %d; list again, or with a larger --chunk-size: %w", chunk, err)
		}
		if err != nil {
			return err
		}
		if err := page(items); err != nil {
			return err
		}
		if cont == "" || chunk == 0 {
			return nil
		}
		opts.Continue = cont
	}
}

// AllRuns is ListRuns gathered into one slice.
func AllRuns(ctx context.Context, tc tekton.Interface, ns string, opts metav1.ListOptions, chunk int64) ([]v1.PipelineRun, error) {
	var out []v1.PipelineRun
	err := ListRuns(ctx, tc, ns, opts, chunk, func(items []v1.PipelineRun) error {
		out = append(out, items...)
		return nil
	})
	return out, err
}

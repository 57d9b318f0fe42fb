package util

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	tekton "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"knative.dev/pkg/apis"

	rendertekton "github.com/mlpipe/kubectl-mlpipe/pkg/render/tekton"
)

// RunSelector selects the runs kubectl-mlpipe made, optionally of one pipeline.
func RunSelector(pipeline string) string {
	sel := rendertekton.LabelManagedBy + "=" + rendertekton.ManagedBy
	if pipeline != "" {
		sel += "," + rendertekton.LabelPipeline + "=" + pipeline
	}
	return sel
}

// NewestFirst sorts runs by creation time, newest first, then by name.
func NewestFirst(items []v1.PipelineRun) {
	sort.SliceStable(items, func(i, j int) bool {
		if !items[i].CreationTimestamp.Equal(&items[j].CreationTimestamp) {
			return items[j].CreationTimestamp.Before(&items[i].CreationTimestamp)
		}
		return items[i].Name < items[j].Name
	})
}

// Finished reports whether Tekton has ended the run: its Succeeded
// condition is True or False (not Unknown, not missing).
func Finished(pr *v1.PipelineRun) bool {
	c := pr.Status.GetCondition(apis.ConditionSucceeded)
	return c != nil && !c.IsUnknown()
}

// GetRun fetches a run, turning not-found into a sentence that says where we looked.
func GetRun(ctx context.Context, tc tekton.Interface, ns, name string) (*v1.PipelineRun, error) {
	pr, err := tc.TektonV1().PipelineRuns(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, &ExitError{Code: ExitFailure, Err: fmt.Errorf("no run %q in namespace %q (kubectl mlpipe list shows the runs there)", name, ns)}
	}
	return pr, err
}

// LastRun returns the newest run of a pipeline, or of any pipeline when it is "".
func LastRun(ctx context.Context, tc tekton.Interface, ns, pipeline string) (*v1.PipelineRun, error) {
	list, err := tc.TektonV1().PipelineRuns(ns).List(ctx, metav1.ListOptions{LabelSelector: RunSelector(pipeline)})
	if err != nil {
		return nil, err
	}
	if len(list.Items) == 0 {
		what := "no runs"
		if pipeline != "" {
			what = "no runs of pipeline " + pipeline
		}
		return nil, &ExitError{Code: ExitFailure, Err: fmt.Errorf("%s in namespace %q", what, ns)}
	}
	NewestFirst(list.Items)
	return &list.Items[0], nil
}

// CompleteRuns completes run names in the namespace the flags point at.
func CompleteRuns(cf *genericclioptions.ConfigFlags) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 && cmd.Name() != "cancel" && cmd.Name() != "delete" {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return completeRunNames(cmd.Context(), cf, args, prefix), cobra.ShellCompDirectiveNoFileComp
	}
}

func completeRunNames(ctx context.Context, cf *genericclioptions.ConfigFlags, args []string, prefix string) []cobra.Completion {
	tc, ns, err := TektonClient(cf)
	if err != nil {
		return nil
	}
	list, err := tc.TektonV1().PipelineRuns(ns).List(ctx, metav1.ListOptions{LabelSelector: RunSelector("")})
	if err != nil {
		return nil
	}
	NewestFirst(list.Items)
	seen := map[string]bool{}
	for _, a := range args {
		seen[a] = true
	}
	var out []cobra.Completion
	for _, pr := range list.Items {
		if strings.HasPrefix(pr.Name, prefix) && !seen[pr.Name] {
			out = append(out, cobra.CompletionWithDesc(pr.Name, pr.Labels[rendertekton.LabelPipeline]))
		}
	}
	return out
}

// CompletePipelines completes the names of pipelines that have runs.
func CompletePipelines(cf *genericclioptions.ConfigFlags) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		tc, ns, err := TektonClient(cf)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		list, err := tc.TektonV1().PipelineRuns(ns).List(cmd.Context(), metav1.ListOptions{LabelSelector: RunSelector("")})
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		seen := map[string]bool{}
		var out []cobra.Completion
		for _, pr := range list.Items {
			p := pr.Labels[rendertekton.LabelPipeline]
			if p != "" && !seen[p] && strings.HasPrefix(p, prefix) {
				seen[p] = true
				out = append(out, p)
			}
		}
		sort.Strings(out)
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// StepNames lists a run's steps (its tasks, then its finally tasks) in spec order.
func StepNames(pr *v1.PipelineRun) []string {
	var out []string
	if ps := rendertekton.PipelineSpecOf(pr); ps != nil {
		for _, t := range ps.Tasks {
			out = append(out, t.Name)
		}
		for _, t := range ps.Finally {
			out = append(out, t.Name)
		}
	}
	return out
}

// CompleteRunThenStep completes RUN as the first argument and STEP of that run as the second.
func CompleteRunThenStep(cf *genericclioptions.ConfigFlags) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
		switch len(args) {
		case 0:
			return completeRunNames(cmd.Context(), cf, nil, prefix), cobra.ShellCompDirectiveNoFileComp
		case 1:
			tc, ns, err := TektonClient(cf)
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			pr, err := tc.TektonV1().PipelineRuns(ns).Get(cmd.Context(), args[0], metav1.GetOptions{})
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var out []cobra.Completion
			for _, s := range StepNames(pr) {
				if strings.HasPrefix(s, prefix) {
					out = append(out, s)
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		}
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
}

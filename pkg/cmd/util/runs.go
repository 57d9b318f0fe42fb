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
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/metadata"
	"knative.dev/pkg/apis"

	rendertekton "github.com/mlpipe/kubectl-mlpipe/pkg/render/tekton"
	"github.com/mlpipe/kubectl-mlpipe/pkg/tektonclient"
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
	sort.SliceStable(items, func(i, j int) bool { return newer(&items[i], &items[j]) })
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

// LastRun returns the newest run of a pipeline, or of any pipeline when it
// is "": found in pages of run summaries, then read whole, so a namespace
// of thousands of runs is not sent in one response.
func LastRun(ctx context.Context, tc tekton.Interface, ns, pipeline string) (*v1.PipelineRun, error) {
	var newest *v1.PipelineRun
	err := ListRunSummaries(ctx, tc, ns, metav1.ListOptions{LabelSelector: RunSelector(pipeline)}, ChunkSize, func(items []v1.PipelineRun) error {
		for i := range items {
			if newest == nil || newer(&items[i], newest) {
				newest = &items[i]
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if newest == nil {
		what := "no runs"
		if pipeline != "" {
			what = "no runs of pipeline " + pipeline
		}
		return nil, &ExitError{Code: ExitFailure, Err: fmt.Errorf("%s in namespace %q", what, ns)}
	}
	return GetRun(ctx, tc, ns, newest.Name)
}

// newer is NewestFirst's order.
func newer(a, b *v1.PipelineRun) bool {
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return b.CreationTimestamp.Before(&a.CreationTimestamp)
	}
	return a.Name < b.Name
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

// completionLimit bounds how many runs completion reads, so that it
// answers at the speed of typing whatever a namespace holds: one page of
// metadata only (no spec, no status) per request. The API lists in name
// order, so in a namespace with more runs than this the run names offered
// are the first completionLimit by name, newest first among them.
const completionLimit = 500

// completionPipelineReads bounds the requests that gather pipeline names:
// each asks for runs of pipelines not seen yet, so it takes one request per
// completionLimit runs of pipelines with few runs, not one per run.
const completionPipelineReads = 5

var (
	runsV1      = schema.GroupVersionResource{Group: "tekton.dev", Version: "v1", Resource: "pipelineruns"}
	runsV1beta1 = schema.GroupVersionResource{Group: "tekton.dev", Version: "v1beta1", Resource: "pipelineruns"}
)

// metadataClient builds a metadata-only client and resolves the namespace, as TektonClient.
func metadataClient(cf *genericclioptions.ConfigFlags) (metadata.Interface, string, error) {
	ns, _, err := cf.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return nil, "", err
	}
	cfg, err := cf.ToRESTConfig()
	if err != nil {
		return nil, "", err
	}
	withHandshakeRetries(cfg)
	mc, err := metadata.NewForConfig(cfg)
	return mc, ns, err
}

// listRunMetadata lists the runs' metadata, from tekton.dev/v1beta1 where v1 is not served.
func listRunMetadata(ctx context.Context, mc metadata.Interface, ns string, opts metav1.ListOptions) ([]metav1.PartialObjectMetadata, error) {
	l, err := mc.Resource(runsV1).Namespace(ns).List(ctx, opts)
	if tektonclient.Missing(err) {
		l, err = mc.Resource(runsV1beta1).Namespace(ns).List(ctx, opts)
	}
	if err != nil {
		return nil, err
	}
	return l.Items, nil
}

func completeRunNames(ctx context.Context, cf *genericclioptions.ConfigFlags, args []string, prefix string) []cobra.Completion {
	mc, ns, err := metadataClient(cf)
	if err != nil {
		return nil
	}
	return runNameCompletions(ctx, mc, ns, args, prefix)
}

func runNameCompletions(ctx context.Context, mc metadata.Interface, ns string, args []string, prefix string) []cobra.Completion {
	items, err := listRunMetadata(ctx, mc, ns, metav1.ListOptions{LabelSelector: RunSelector(""), Limit: completionLimit})
	if err != nil {
		return nil
	}
	sort.SliceStable(items, func(i, j int) bool {
		a, b := &items[i].CreationTimestamp, &items[j].CreationTimestamp
		if !a.Equal(b) {
			return b.Before(a)
		}
		return items[i].Name < items[j].Name
	})
	seen := map[string]bool{}
	for _, a := range args {
		seen[a] = true
	}
	var out []cobra.Completion
	for _, m := range items {
		if strings.HasPrefix(m.Name, prefix) && !seen[m.Name] {
			out = append(out, cobra.CompletionWithDesc(m.Name, m.Labels[rendertekton.LabelPipeline]))
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
		mc, ns, err := metadataClient(cf)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return pipelineCompletions(cmd.Context(), mc, ns, prefix), cobra.ShellCompDirectiveNoFileComp
	}
}

// pipelineCompletions reads runs' metadata a page at a time, each page
// leaving out the pipelines already seen, until no run is left or
// completionPipelineReads pages were read.
func pipelineCompletions(ctx context.Context, mc metadata.Interface, ns, prefix string) []cobra.Completion {
	seen := map[string]bool{}
	var names []string
	for range completionPipelineReads {
		sel := RunSelector("") + "," + rendertekton.LabelPipeline
		if len(names) > 0 {
			sel += "," + rendertekton.LabelPipeline + " notin (" + strings.Join(names, ",") + ")"
		}
		items, err := listRunMetadata(ctx, mc, ns, metav1.ListOptions{LabelSelector: sel, Limit: completionLimit})
		if err != nil || len(items) == 0 {
			break
		}
		for _, m := range items {
			if p := m.Labels[rendertekton.LabelPipeline]; p != "" && !seen[p] {
				seen[p] = true
				names = append(names, p)
			}
		}
		if len(items) < completionLimit {
			break
		}
	}
	var out []cobra.Completion
	for _, p := range names {
		if strings.HasPrefix(p, prefix) {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
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

package util

import (
	"context"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericclioptions"

	"github.com/mlpipe/kubectl-mlpipe/pkg/input"
)

// RegisterConnectionCompletions completes -n with the cluster's namespaces,
// and --context, --cluster and --user with the kubeconfig's, as kubectl does.
func RegisterConnectionCompletions(root *cobra.Command, cf *genericclioptions.ConfigFlags) {
	_ = root.RegisterFlagCompletionFunc("namespace", func(cmd *cobra.Command, _ []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return namespaceCompletions(cmd.Context(), cf, prefix), cobra.ShellCompDirectiveNoFileComp
	})
	kubeconfig := func(names func(genericclioptions.RESTClientGetter) []string) cobra.CompletionFunc {
		return func(_ *cobra.Command, _ []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
			var out []cobra.Completion
			for _, n := range names(cf) {
				if strings.HasPrefix(n, prefix) {
					out = append(out, n)
				}
			}
			sort.Strings(out)
			return out, cobra.ShellCompDirectiveNoFileComp
		}
	}
	raw := func(g genericclioptions.RESTClientGetter) (contexts, clusters, users []string) {
		c, err := g.ToRawKubeConfigLoader().RawConfig()
		if err != nil {
			return nil, nil, nil
		}
		for n := range c.Contexts {
			contexts = append(contexts, n)
		}
		for n := range c.Clusters {
			clusters = append(clusters, n)
		}
		for n := range c.AuthInfos {
			users = append(users, n)
		}
		return contexts, clusters, users
	}
	_ = root.RegisterFlagCompletionFunc("context", kubeconfig(func(g genericclioptions.RESTClientGetter) []string { c, _, _ := raw(g); return c }))
	_ = root.RegisterFlagCompletionFunc("cluster", kubeconfig(func(g genericclioptions.RESTClientGetter) []string { _, c, _ := raw(g); return c }))
	_ = root.RegisterFlagCompletionFunc("user", kubeconfig(func(g genericclioptions.RESTClientGetter) []string { _, _, u := raw(g); return u }))
}

func namespaceCompletions(ctx context.Context, cf *genericclioptions.ConfigFlags, prefix string) []cobra.Completion {
	mc, _, err := metadataClient(cf)
	if err != nil {
		return nil
	}
	if ctx == nil {
		ctx = context.Background()
	}
	l, err := mc.Resource(schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil
	}
	var out []cobra.Completion
	for _, n := range l.Items {
		if strings.HasPrefix(n.Name, prefix) {
			out = append(out, n.Name)
		}
	}
	return out
}

// CompleteParams completes -p with NAME= for each param of the specs the
// command's -f names, described by the param's default (or "required").
func CompleteParams(cmd *cobra.Command, _ []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
	files, _ := cmd.Flags().GetStringArray("filename")
	var paths []string
	for _, f := range files {
		// stdin is the shell's, not ours, while completing.
		if f != "-" && !slices.Contains(paths, f) {
			paths = append(paths, f)
		}
	}
	if len(paths) == 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	sources, err := input.Read(paths, false, nil)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	docs, err := LoadDocs(sources)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	set := map[string]bool{}
	if given, err := cmd.Flags().GetStringArray("param"); err == nil {
		for _, kv := range given {
			k, _, _ := strings.Cut(kv, "=")
			set[k] = true
		}
	}
	var out []cobra.Completion
	for _, d := range docs {
		for _, p := range d.Pipeline.Spec.Params {
			if set[p.Name] || !strings.HasPrefix(p.Name+"=", prefix) {
				continue
			}
			set[p.Name] = true // a file named twice offers its params once
			desc := "required"
			if p.Default != nil {
				desc = "default " + *p.Default
			}
			out = append(out, cobra.CompletionWithDesc(p.Name+"=", desc))
		}
	}
	// NAME= is completed; the value is the user's to type.
	return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
}

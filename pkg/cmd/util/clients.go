package util

import (
	tekton "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	"k8s.io/cli-runtime/pkg/genericclioptions"
)

// TektonClient builds a Tekton clientset and resolves the namespace from
// the connection flags: -n, else the context's namespace, else default.
func TektonClient(cf *genericclioptions.ConfigFlags) (tekton.Interface, string, error) {
	ns, _, err := cf.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return nil, "", err
	}
	cfg, err := cf.ToRESTConfig()
	if err != nil {
		return nil, "", err
	}
	tc, err := tekton.NewForConfig(cfg)
	if err != nil {
		return nil, "", err
	}
	return tc, ns, nil
}

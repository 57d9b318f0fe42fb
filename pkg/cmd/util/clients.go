package util

import (
	tekton "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	_ "k8s.io/client-go/plugin/pkg/client/auth" // exec, OIDC and cloud credential plugins

	"github.com/mlpipe/kubectl-mlpipe/pkg/tektonclient"
)

// Client-side rate limit of every client the plugin makes.
const (
	clientQPS   = 100
	clientBurst = 200
)

// TektonClient builds a Tekton clientset and resolves the namespace from
// the connection flags: -n, else the context's namespace, else default.
func TektonClient(cf *genericclioptions.ConfigFlags) (tekton.Interface, string, error) {
	c, err := NewClients(cf)
	if err != nil {
		return nil, "", err
	}
	return c.Tekton, c.Namespace, nil
}

// Clients are the typed clients the run-following commands need.
type Clients struct {
	Tekton tekton.Interface
	Kube   kubernetes.Interface
	// Metadata reads objects' metadata only.
	Metadata  metadata.Interface
	Namespace string
	// Host is the API server's address, as the kubeconfig gives it.
	Host string
}

// NewClients builds the Tekton and core clients from the connection flags.
func NewClients(cf *genericclioptions.ConfigFlags) (*Clients, error) {
	ns, _, err := cf.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return nil, err
	}
	cfg, err := cf.ToRESTConfig()
	if err != nil {
		return nil, err
	}
	// client-go's default of 5 requests a second (burst 10) would spend
	// 200 s writing the 1,000 Tasks of a big referenced run; the apiserver's
	// own priority and fairness guards it, as it does from kubectl.
	if cfg.QPS == 0 && cfg.Burst == 0 {
		cfg.QPS, cfg.Burst = clientQPS, clientBurst
	}
	withHandshakeRetries(cfg)
	tc, err := tekton.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	kc, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	mc, err := metadata.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	// Every command sees v1 runs, also on clusters that serve only v1beta1.
	return &Clients{Tekton: tektonclient.New(tc, tektonclient.Auto), Kube: kc, Metadata: mc, Namespace: ns, Host: cfg.Host}, nil
}

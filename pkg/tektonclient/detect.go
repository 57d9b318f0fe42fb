package tektonclient

import (
	"context"
	"fmt"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes"

	"github.com/mlpipe/kubectl-mlpipe/pkg/tektonapi"
)

// Namespace is where Tekton Pipelines keeps its ConfigMaps.
const Namespace = "tekton-pipelines"

// NotInstalledError says the cluster serves no PipelineRuns.
type NotInstalledError struct{}

func (NotInstalledError) Error() string {
	return "Tekton Pipelines is not installed (the cluster serves neither tekton.dev/v1 nor tekton.dev/v1beta1 PipelineRuns)"
}

// Detect reads what the cluster runs, with three concurrent requests: the
// discovery of tekton.dev/v1 (then v1beta1 if needed), the pipelines-info
// ConfigMap (the release; readable by every authenticated user on a
// standard install) and feature-flags. A release that cannot be read is
// inferred from the served versions, conservatively, and Target.Assumed
// says so; unreadable flags are the release's defaults.
func Detect(ctx context.Context, dc discovery.DiscoveryInterface, kube kubernetes.Interface) (tektonapi.Target, error) {
	var (
		t               tektonapi.Target
		wg              sync.WaitGroup
		apiErr, infoErr error
		flags           map[string]string
		info            map[string]string
		depVersion      string
	)
	if kube == nil {
		t.API, apiErr = served(dc)
	} else {
		wg.Add(3)
		go func() {
			defer wg.Done()
			t.API, apiErr = served(dc)
		}()
		go readInfo(ctx, kube, &wg, &info, &infoErr, &depVersion)
		go readFlags(ctx, kube, &wg, &flags)
	}
	wg.Wait()
	if apiErr != nil {
		return t, apiErr
	}
	t.Flags = flags
	switch {
	case info["version"] != "":
		if r, err := tektonapi.ParseRelease(info["version"]); err == nil {
			t.Release, t.Source = r, "ConfigMap "+Namespace+"/pipelines-info"
		}
	case depVersion != "":
		if r, err := tektonapi.ParseRelease(depVersion); err == nil {
			t.Release, t.Source = r, "the label of Deployment "+Namespace+"/tekton-pipelines-controller"
		}
	}
	if t.Release.IsZero() {
		why := "no pipelines-info ConfigMap and no version label on the controller"
		if infoErr != nil && !apierrors.IsNotFound(infoErr) {
			why = "cannot read " + Namespace + "/pipelines-info: " + infoErr.Error()
		}
		t.Release = tektonapi.Oldest
		if t.API == tektonapi.V1 {
			t.Release = tektonapi.MustParse("v0.44.0")
		}
		t.Assumed = fmt.Sprintf("%s; assuming %s, the oldest release that serves %s PipelineRuns", why, t.Release, t.API)
	}
	return t, nil
}

// readInfo reads the release from pipelines-info or, on releases before
// v0.40 that have none, the controller Deployment's labels.
func readInfo(ctx context.Context, kube kubernetes.Interface, wg *sync.WaitGroup, info *map[string]string, infoErr *error, depVersion *string) {
	defer wg.Done()
	cm, err := kube.CoreV1().ConfigMaps(Namespace).Get(ctx, "pipelines-info", metav1.GetOptions{})
	if err == nil {
		*info = cm.Data
		return
	}
	*infoErr = err
	if d, derr := kube.AppsV1().Deployments(Namespace).Get(ctx, "tekton-pipelines-controller", metav1.GetOptions{}); derr == nil {
		*depVersion = d.Labels["app.kubernetes.io/version"]
		if *depVersion == "" {
			*depVersion = d.Labels["pipeline.tekton.dev/release"]
		}
	}
}

func readFlags(ctx context.Context, kube kubernetes.Interface, wg *sync.WaitGroup, flags *map[string]string) {
	defer wg.Done()
	if cm, err := kube.CoreV1().ConfigMaps(Namespace).Get(ctx, "feature-flags", metav1.GetOptions{}); err == nil {
		*flags = cm.Data
	}
}

// served is the newest PipelineRun API version the cluster serves.
func served(dc discovery.DiscoveryInterface) (string, error) {
	for _, gv := range []string{tektonapi.V1, tektonapi.V1beta1} {
		list, err := dc.ServerResourcesForGroupVersion(gv)
		if err != nil && !apierrors.IsNotFound(err) {
			return "", fmt.Errorf("checking for Tekton Pipelines: %w", err)
		}
		if list == nil {
			continue
		}
		for _, r := range list.APIResources {
			if r.Name == "pipelineruns" {
				return gv, nil
			}
		}
	}
	return "", NotInstalledError{}
}

package tekton

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// Unstructured returns pr (v1 or v1beta1) as the object to print or send: the typed form
// always carries an empty status and, in every embedded task, a null
// "spec" (EmbeddedTask's unused raw field); neither belongs in what a user
// reviews or creates.
func Unstructured(pr runtime.Object) (*unstructured.Unstructured, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(pr)
	if err != nil {
		return nil, err
	}
	delete(m, "status")
	if md, ok := m["metadata"].(map[string]any); ok {
		delete(md, "creationTimestamp")
	}
	if spec, ok := m["spec"].(map[string]any); ok {
		if ps, ok := spec["pipelineSpec"].(map[string]any); ok {
			for _, key := range []string{"tasks", "finally"} {
				tasks, _ := ps[key].([]any)
				for _, t := range tasks {
					if ts, ok := t.(map[string]any)["taskSpec"].(map[string]any); ok {
						// EmbeddedTask's raw Spec field always marshals, as null.
						if ts["spec"] == nil {
							delete(ts, "spec")
						}
					}
				}
			}
		}
		workspaces, _ := spec["workspaces"].([]any)
		for _, w := range workspaces {
			if vct, ok := w.(map[string]any)["volumeClaimTemplate"].(map[string]any); ok {
				delete(vct, "status")
				if md, ok := vct["metadata"].(map[string]any); ok && len(md) == 0 {
					delete(vct, "metadata")
				}
			}
		}
	}
	return &unstructured.Unstructured{Object: m}, nil
}

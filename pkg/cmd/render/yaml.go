package render

import (
	"io"
	"runtime"
	"sync/atomic"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/printers"
	goyaml "sigs.k8s.io/yaml/goyaml.v2"

	"github.com/mlpipe/kubectl-mlpipe/pkg/render/tekton"
)

// yamlPrinter prints what cli-runtime's YAMLPrinter prints, byte for byte
// (TestYAMLPrinterPrintsAsKubectl), without its round trip: that printer
// marshals the object to JSON and has go-yaml parse the JSON back before it
// marshals the YAML, which for a rendered run is most of the cost of
// `render -o yaml`. An object that is not unstructured goes to fallback.
type yamlPrinter struct {
	fallback printers.ResourcePrinter
	printed  bool
}

func (p *yamlPrinter) PrintObj(obj k8sruntime.Object, w io.Writer) error {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok || u.GetObjectKind().GroupVersionKind().Empty() {
		return p.fallback.PrintObj(obj, w)
	}
	if p.printed {
		if _, err := io.WriteString(w, "---\n"); err != nil {
			return err
		}
	}
	p.printed = true
	out, err := goyaml.Marshal(u.Object)
	if err != nil {
		return err
	}
	_, err = w.Write(out)
	return err
}

// printAll prints objs in order, each converted and marshalled on one of
// GOMAXPROCS workers: a referenced run is a thousand Tasks or more, and
// YAML marshalling is most of render's time.
func (p *yamlPrinter) printAll(objs []k8sruntime.Object, w io.Writer) error {
	n := len(objs)
	out, errs := make([][]byte, n), make([]error, n)
	done := make([]chan struct{}, n)
	for i := range done {
		done[i] = make(chan struct{})
	}
	var next atomic.Int64
	for range min(runtime.GOMAXPROCS(0), n) {
		go func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				u, err := tekton.Unstructured(objs[i])
				if err == nil {
					out[i], err = goyaml.Marshal(u.Object)
				}
				errs[i] = err
				close(done[i])
			}
		}()
	}
	for i := range objs {
		<-done[i]
		if errs[i] != nil {
			return errs[i]
		}
		if p.printed {
			if _, err := io.WriteString(w, "---\n"); err != nil {
				return err
			}
		}
		p.printed = true
		if _, err := w.Write(out[i]); err != nil {
			return err
		}
		out[i] = nil
	}
	return nil
}

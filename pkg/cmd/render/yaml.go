package render

import (
	"io"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/printers"
	goyaml "sigs.k8s.io/yaml/goyaml.v2"
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

func (p *yamlPrinter) PrintObj(obj runtime.Object, w io.Writer) error {
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

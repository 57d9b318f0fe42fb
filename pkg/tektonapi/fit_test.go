package tektonapi_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlpipe/kubectl-mlpipe/pkg/compiler"
	"github.com/mlpipe/kubectl-mlpipe/pkg/spec"
	"github.com/mlpipe/kubectl-mlpipe/pkg/tektonapi"
)

func compileAll(t *testing.T, expand bool) map[string]*compiler.Result {
	t.Helper()
	files, _ := filepath.Glob("../../examples/*.yaml")
	more, _ := filepath.Glob("../../examples/runnable/*.yaml")
	out := map[string]*compiler.Result{}
	for _, f := range append(files, more...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs, err := spec.Load(f, data)
		if err != nil {
			t.Fatal(err)
		}
		res, err := compiler.Compile(context.Background(), docs[0], compiler.Options{Name: "x-abcde", ExpandMatrix: expand})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[filepath.Base(f)] = res
	}
	return out
}

func TestExamplesFitEveryTrackedRelease(t *testing.T) {
	for name, res := range compileAll(t, true) {
		for _, rel := range tektonapi.TrackedReleases {
			r := tektonapi.MustParse(rel)
			api := "v1"
			var obj any = res.PipelineRun.DeepCopy()
			if r.Less(tektonapi.MustParse("v0.44.0")) {
				b, err := tektonapi.ToV1beta1(context.Background(), res.PipelineRun)
				if err != nil {
					t.Fatal(err)
				}
				api, obj = "v1beta1", b
			}
			dropped, unknown, err := tektonapi.Fit(obj, api, r)
			if err != nil || len(unknown) > 0 {
				t.Errorf("%s on %s: %v %v", name, rel, unknown, err)
			}
			for _, d := range dropped {
				if !strings.HasSuffix(d, ".description") {
					t.Errorf("%s on %s: dropped %s", name, rel, d)
				}
			}
			t.Logf("%s on %s %s: dropped %d", name, rel, api, len(dropped))
		}
	}
}

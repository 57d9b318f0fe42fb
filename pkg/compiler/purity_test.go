package compiler

import (
	"os/exec"
	"strings"
	"testing"
)

// The compiler core must stay pure: no cluster clients, no CLI framework,
// no files, no clock. This test fails when a core package starts to depend
// on any of them, directly or through another package.
func TestCoreIsPure(t *testing.T) {
	core := []string{
		"github.com/mlpipe/kubectl-mlpipe/pkg/spec",
		"github.com/mlpipe/kubectl-mlpipe/pkg/validation",
		"github.com/mlpipe/kubectl-mlpipe/pkg/refs",
		"github.com/mlpipe/kubectl-mlpipe/pkg/dag",
		"github.com/mlpipe/kubectl-mlpipe/pkg/model",
		"github.com/mlpipe/kubectl-mlpipe/pkg/render/tekton",
		"github.com/mlpipe/kubectl-mlpipe/pkg/render/diagram",
		"github.com/mlpipe/kubectl-mlpipe/pkg/tektonvalidate",
		"github.com/mlpipe/kubectl-mlpipe/pkg/compiler",
		"github.com/mlpipe/kubectl-mlpipe/pkg/budget",
	}
	forbidden := []string{
		"k8s.io/client-go/kubernetes",
		"k8s.io/client-go/rest",
		"k8s.io/client-go/tools/clientcmd",
		"k8s.io/cli-runtime",
		"github.com/spf13/cobra",
		"github.com/tektoncd/pipeline/pkg/client",
		"github.com/mlpipe/kubectl-mlpipe/pkg/cmd",
		"github.com/mlpipe/kubectl-mlpipe/pkg/input",
	}
	const self = "github.com/mlpipe/kubectl-mlpipe/"
	for _, pkg := range core {
		// Direct imports. (Tekton's API package itself links client-go's
		// rest package; what matters is that our code never uses it.)
		out, err := exec.Command("go", "list", "-f", `{{join .Imports "\n"}}`, pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		for _, imp := range strings.Fields(string(out)) {
			if imp == "os" || imp == "os/exec" || imp == "net/http" || imp == "io/ioutil" {
				t.Errorf("%s imports %s: the compiler core must not do I/O", pkg, imp)
			}
			for _, f := range forbidden {
				if imp == f || strings.HasPrefix(imp, f+"/") {
					t.Errorf("%s imports %s: keep clients and CLI code out of the compiler core", pkg, imp)
				}
			}
		}
		// Our own packages it reaches must be core packages too.
		deps, err := exec.Command("go", "list", "-deps", pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		for _, dep := range strings.Fields(string(deps)) {
			if strings.HasPrefix(dep, self) && !contains(core, dep) {
				t.Errorf("%s depends on %s, which is not part of the pure core", pkg, dep)
			}
		}
	}
}

// No clock either: the core never calls time.Now, so output cannot depend on when it ran.
func TestCoreHasNoClock(t *testing.T) {
	out, err := exec.Command("grep", "-rn", "--include=*.go", "--exclude=*_test.go", "-E", `time\.(Now|Since|Until)\(`,
		"../spec", "../validation", "../refs", "../dag", "../model", "../render", "../tektonvalidate", ".").CombinedOutput()
	if err == nil {
		t.Errorf("the compiler core reads the clock:\n%s", out)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

package schedule

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/yaml"

	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd/util"
)

const spec = `apiVersion: mlpipe.dev/v1alpha1
kind: Pipeline
metadata: {name: nightly-train}
spec:
  image: busybox:1.36
  params: [{name: epochs}]
  steps:
    - {name: train, command: [train, --epochs, $(params.epochs)]}
`

func createCmd(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	streams, in, out, errOut := genericiooptions.NewTestIOStreams()
	in.WriteString(spec)
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "none"))
	cf := genericclioptions.NewConfigFlags(false)
	cmd := NewCmd(cf, streams)
	cf.AddFlags(cmd.PersistentFlags())
	cmd.SetArgs(append([]string{"create"}, args...))
	cmd.SetOut(errOut)
	cmd.SetErr(errOut)
	err := cmd.Execute()
	return out.String(), errOut.String(), err
}

// --dry-run=client needs no cluster and prints every object, the run
// rendered into the ConfigMap with the schedule's params and label.
func TestCreateDryRunClientPrintsTheObjects(t *testing.T) {
	out, _, err := createCmd(t, "nightly", "-n", "ml", "-f", "-", "--cron", "0 2 * * *", "-p", "epochs=7", "--dry-run=client", "-o", "yaml",
		"--overrides", `{"spec":{"jobTemplate":{"spec":{"template":{"spec":{"nodeSelector":{"pool":"ops"}}}}}}}`)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, doc := range strings.Split(out, "\n---\n") {
		var obj map[string]any
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, obj["kind"].(string))
		if obj["kind"] == "ConfigMap" {
			run := obj["data"].(map[string]any)["pipelinerun.yaml"].(string)
			for _, want := range []string{"generateName: nightly-train-", "mlpipe.dev/schedule: nightly", "value: \"7\""} {
				if !strings.Contains(run, want) {
					t.Errorf("the scheduled run lacks %q:\n%s", want, run)
				}
			}
		}
		if obj["kind"] == "CronJob" && !strings.Contains(doc, "pool: ops") {
			t.Errorf("--overrides did not reach the CronJob:\n%s", doc)
		}
	}
	if got := strings.Join(kinds, ","); got != "ServiceAccount,Role,RoleBinding,ConfigMap,CronJob" {
		t.Errorf("kinds %s", got)
	}
}

func TestCreateRefusesBadInputBeforeAnything(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"nightly", "-f", "-", "--cron", "every night"}, `--cron "every night"`},
		{[]string{"nightly", "-f", "-", "--cron", "@daily", "--concurrency", "queue"}, `--concurrency "queue"`},
		{[]string{"nightly", "-f", "-", "--cron", "@daily", "-p", "epochs=1", "--dry-run=client", "--overrides", "{not json"}, "--overrides"},
		{[]string{"nightly", "-f", "-", "--cron", "@daily"}, "param epochs"},
	} {
		_, _, err := createCmd(t, c.args...)
		if util.Code(err) != util.ExitInvalid || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v (exit %d), want exit 2 naming %q", c.args, err, util.Code(err), c.want)
		}
	}
}

// A pipeline too big for the ConfigMap a schedule keeps its run in is
// refused before anything, naming the way out.
func TestCreateRefusesAPipelineTooBigToSchedule(t *testing.T) {
	var b strings.Builder
	b.WriteString("apiVersion: mlpipe.dev/v1alpha1\nkind: Pipeline\nmetadata: {name: big}\nspec:\n  image: busybox:1.36\n  steps:\n")
	for i := 0; i < 14; i++ {
		fmt.Fprintf(&b, "    - name: s%d\n      script: |\n", i)
		for k := 0; k < 80*1024; k += 70 {
			fmt.Fprintf(&b, "        # %d %s\n", i, strings.Repeat("x", 60))
		}
	}
	streams, in, _, _ := genericiooptions.NewTestIOStreams()
	in.WriteString(b.String())
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "none"))
	cf := genericclioptions.NewConfigFlags(false)
	cmd := NewCmd(cf, streams)
	cf.AddFlags(cmd.PersistentFlags())
	cmd.SetArgs([]string{"create", "big", "-f", "-", "--cron", "@daily", "--dry-run=client"})
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	err := cmd.Execute()
	if util.Code(err) != util.ExitInvalid || !strings.Contains(err.Error(), "too big to schedule") || !strings.Contains(err.Error(), "1 MiB") {
		t.Fatalf("got %v (exit %d)", err, util.Code(err))
	}
}

package list

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	tekton "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	tektonfake "github.com/tektoncd/pipeline/pkg/client/clientset/versioned/fake"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/rest"
	"knative.dev/pkg/apis"

	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd/util"
	"github.com/mlpipe/kubectl-mlpipe/pkg/tektonapi"
	"github.com/mlpipe/kubectl-mlpipe/pkg/tektonclient"
)

// representativeRuns covers what the table reads: embedded and referenced
// (status.pipelineSpec) pipelines, a matrix, finally steps, skipped steps,
// reused steps, a run held pending, one running with TaskRuns.
func representativeRuns() []runtime.Object {
	embedded := pr("embedded", "train", 3*time.Hour, corev1.ConditionTrue, "Succeeded")
	embedded.Spec.PipelineSpec.Finally = []v1.PipelineTask{{Name: "notify"}}
	embedded.Spec.PipelineSpec.Tasks[0].TaskSpec = &v1.EmbeddedTask{TaskSpec: v1.TaskSpec{Steps: []v1.Step{{Name: "s", Image: "busybox", Script: strings.Repeat("echo big\n", 2000)}}}}
	embedded.Status.PipelineSpec = embedded.Spec.PipelineSpec.DeepCopy()
	embedded.Annotations = map[string]string{"mlpipe.dev/reused": `{"prep":{"run":"older","completed":"2026-11-27T10:00:00Z","recipe":"r","inputs":"i"},"fetch":{"run":"older","cached":true,"completed":"2026-11-27T09:00:00Z","recipe":"r","inputs":"i"}}`}

	matrix := pr("matrix", "sweep", 2*time.Hour, corev1.ConditionFalse, "Failed")
	matrix.Spec.PipelineSpec.Tasks = append(matrix.Spec.PipelineSpec.Tasks, v1.PipelineTask{Name: "grid", Matrix: &v1.Matrix{
		Params:  v1.Params{{Name: "lr", Value: *v1.NewStructuredValues("0.1", "0.01", "0.001")}},
		Include: v1.IncludeParamsList{{Name: "extra", Params: v1.Params{{Name: "lr", Value: *v1.NewStructuredValues("1")}}}},
	}})
	matrix.Status.SkippedTasks = []v1.SkippedTask{{Name: "b", Reason: v1.WhenExpressionsSkip}}

	referenced := pr("referenced", "train", time.Hour, corev1.ConditionFalse, "Cancelled")
	referenced.Status.PipelineSpec = referenced.Spec.PipelineSpec
	referenced.Spec.PipelineSpec = nil
	referenced.Spec.PipelineRef = &v1.PipelineRef{Name: "train-abc"}

	pending := pr("pending", "train", 10*time.Minute, corev1.ConditionUnknown, "")
	pending.Status = v1.PipelineRunStatus{}
	pending.Spec.Status = v1.PipelineRunSpecStatusPending

	return []runtime.Object{
		embedded, matrix, referenced, pending,
		pr("running", "train", 5*time.Minute, corev1.ConditionUnknown, "Running"),
		tr("running", "a", corev1.ConditionTrue), tr("running", "b", corev1.ConditionUnknown),
	}
}

// apiServer serves LISTs of the given runs and TaskRuns as tekton.dev/v1,
// or only as v1beta1 (v1 is then not found), in pages, honouring the
// label selector, and records the queries.
type apiServer struct {
	runs    []*v1.PipelineRun
	trs     []*v1.TaskRun
	v1beta1 bool
	url     string
	mu      sync.Mutex
	queries []string
}

func (a *apiServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	meta := strings.Contains(r.Header.Get("Accept"), "as=PartialObjectMetadataList")
	a.mu.Lock()
	defer a.mu.Unlock()
	q := r.URL.Path + "?" + r.URL.RawQuery
	if meta {
		q = "metadata " + q
	}
	a.queries = append(a.queries, q)
	version := "v1"
	if a.v1beta1 {
		version = "v1beta1"
	}
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/apis/tekton.dev/"), "/")
	if parts[0] != version {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","code":404}`))
		return
	}
	sel, err := labels.Parse(r.URL.Query().Get("labelSelector"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if len(parts) >= 2 && parts[len(parts)-2] == "pipelineruns" && !a.v1beta1 {
		for _, p := range a.runs {
			if p.Name == parts[len(parts)-1] {
				w.Header().Set("Content-Type", "application/json")
				_ = json.NewEncoder(w).Encode(p)
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}`))
		return
	}
	var items []any
	kind := "PipelineRunList"
	switch parts[len(parts)-1] {
	case "pipelineruns":
		for _, p := range a.runs {
			if !sel.Matches(labels.Set(p.Labels)) {
				continue
			}
			if a.v1beta1 {
				b, err := tektonapi.ToV1beta1(context.Background(), p)
				if err != nil {
					http.Error(w, err.Error(), http.StatusInternalServerError)
					return
				}
				items = append(items, b)
				continue
			}
			items = append(items, p)
		}
	case "taskruns":
		kind = "TaskRunList"
		for _, t := range a.trs {
			if sel.Matches(labels.Set(t.Labels)) {
				items = append(items, t)
			}
		}
	}
	from, _ := strconv.Atoi(r.URL.Query().Get("continue"))
	items = items[from:]
	cont := ""
	if limit, _ := strconv.Atoi(r.URL.Query().Get("limit")); limit > 0 && len(items) > limit {
		items, cont = items[:limit], strconv.Itoa(from+limit)
	}
	if meta {
		for i, it := range items {
			m := it.(metav1.ObjectMetaAccessor).GetObjectMeta()
			items[i] = map[string]any{"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": metav1.ObjectMeta{
				Name: m.GetName(), Namespace: m.GetNamespace(), UID: m.GetUID(), ResourceVersion: m.GetResourceVersion(),
				CreationTimestamp: m.GetCreationTimestamp(), Labels: m.GetLabels(),
			}}
		}
		kind = "PartialObjectMetadataList"
		version = "meta.k8s.io/v1"
	} else {
		version = "tekton.dev/" + version
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"apiVersion": version, "kind": kind, "metadata": map[string]any{"continue": cont}, "items": items})
}

func serve(t *testing.T, objs []runtime.Object, v1beta1 bool) (*apiServer, tekton.Interface) {
	t.Helper()
	a := &apiServer{v1beta1: v1beta1}
	for _, o := range objs {
		switch x := o.(type) {
		case *v1.PipelineRun:
			if x.UID == "" {
				x.UID, x.ResourceVersion = types.UID("uid-"+x.Name), "1"
			}
			a.runs = append(a.runs, x)
		case *v1.TaskRun:
			a.trs = append(a.trs, x)
		}
	}
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	a.url = srv.URL
	cs, err := tekton.NewForConfig(&rest.Config{Host: srv.URL, QPS: -1})
	if err != nil {
		t.Fatal(err)
	}
	return a, tektonclient.New(cs, tektonclient.Auto)
}

func table(t *testing.T, tc tekton.Interface, output string, chunk int64) string {
	t.Helper()
	t.Setenv("MLPIPE_DASHBOARD_URL", "")
	var out bytes.Buffer
	o := &Options{Output: output, ChunkSize: chunk, now: func() time.Time { return now }}
	if err := o.run(context.Background(), tc, "ml", "app.kubernetes.io/managed-by=kubectl-mlpipe", genericiooptions.IOStreams{Out: &out, ErrOut: &out}); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// The table read from the API's pages, decoding only the fields it shows,
// is the table of the whole runs, on clusters serving v1 and v1beta1 alike.
func TestSlimReadGivesTheFullTable(t *testing.T) {
	for _, output := range []string{"", "wide"} {
		want := table(t, tektonfake.NewSimpleClientset(representativeRuns()...), output, 0)
		if !strings.Contains(want, "3 from older, 1 cached") && !strings.Contains(want, "1 from older, 1 cached") {
			t.Fatalf("the runs do not reach the REUSED column:\n%s", want)
		}
		for _, beta := range []bool{false, true} {
			srv, tc := serve(t, representativeRuns(), beta)
			if got := table(t, tc, output, 2); got != want {
				t.Errorf("-o %q, v1beta1 %v: got\n%s\nwant\n%s", output, beta, got, want)
			}
			if beta {
				continue
			}
			// Pages of 2, as asked, with the selector on the server.
			var pages int
			for _, q := range srv.queries {
				if strings.Contains(q, "/pipelineruns?") {
					pages++
					if !strings.Contains(q, "limit=2") || !strings.Contains(q, "labelSelector=app.kubernetes.io%2Fmanaged-by%3Dkubectl-mlpipe") {
						t.Errorf("query %s", q)
					}
				}
			}
			if pages != 3 {
				t.Errorf("%d pages of 5 runs in pages of 2: %v", pages, srv.queries)
			}
		}
	}
}

// -o yaml still prints whole runs.
func TestYAMLReadsWholeRuns(t *testing.T) {
	_, tc := serve(t, representativeRuns(), false)
	if got := table(t, tc, "yaml", 2); !strings.Contains(got, "echo big") {
		t.Errorf("the task spec is missing from -o yaml")
	}
}

// The slim read keeps the steps' names and matrices and drops their specs.
func TestSlimReadDropsTaskSpecs(t *testing.T) {
	_, tc := serve(t, representativeRuns(), false)
	items, err := utilAllRunSummaries(tc)
	if err != nil {
		t.Fatal(err)
	}
	var seen bool
	for _, p := range items {
		// delete's sweep keeps the Pipelines that runs still name.
		if p.Name == "referenced" && (p.Spec.PipelineRef == nil || p.Spec.PipelineRef.Name != "train-abc") {
			t.Errorf("run %s: the Pipeline it refers to is lost: %+v", p.Name, p.Spec.PipelineRef)
		}
		if p.Name != "embedded" {
			continue
		}
		seen = true
		if ts := p.Spec.PipelineSpec.Tasks[0]; ts.Name != "a" || ts.TaskSpec != nil {
			t.Errorf("task a: %+v", ts)
		}
		if c := p.Status.GetCondition(apis.ConditionSucceeded); c == nil || c.Reason != "Succeeded" || p.Status.StartTime == nil || p.Status.CompletionTime == nil {
			t.Errorf("status: %+v", p.Status)
		}
	}
	if !seen {
		t.Fatal("no run named embedded")
	}
}

func utilAllRunSummaries(tc tekton.Interface) ([]v1.PipelineRun, error) {
	return util.AllRunSummaries(context.Background(), tc, "ml", metav1.ListOptions{}, 500)
}

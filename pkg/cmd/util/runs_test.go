package util

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
)

// metaServer serves runs' metadata in name order, as the API does,
// honouring labelSelector and limit, and records each query.
type metaServer struct {
	runs    []metav1.ObjectMeta
	version string
	queries []string
}

func (m *metaServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.queries = append(m.queries, r.URL.RawQuery)
	if !strings.HasPrefix(r.URL.Path, "/apis/tekton.dev/"+m.version+"/") {
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
	var items []any
	for _, o := range m.runs {
		if sel.Matches(labels.Set(o.Labels)) {
			items = append(items, map[string]any{"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": o})
		}
	}
	if limit, _ := strconv.Atoi(r.URL.Query().Get("limit")); limit > 0 && len(items) > limit {
		items = items[:limit]
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1", "metadata": map[string]any{}, "items": items})
}

func metaRuns(t *testing.T, runs []metav1.ObjectMeta, version string) (*metaServer, metadata.Interface) {
	t.Helper()
	s := &metaServer{runs: runs, version: version}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	mc, err := metadata.NewForConfig(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return s, mc
}

func run(name, pipeline string, age time.Duration) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: "ml", CreationTimestamp: metav1.NewTime(time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC).Add(-age)),
		Labels: map[string]string{"app.kubernetes.io/managed-by": "kubectl-mlpipe", "mlpipe.dev/pipeline": pipeline}}
}

// Completion reads one bounded page of metadata and offers newest first.
func TestRunNameCompletionIsBoundedNewestFirst(t *testing.T) {
	for _, version := range []string{"v1", "v1beta1"} {
		s, mc := metaRuns(t, []metav1.ObjectMeta{run("a-old", "a", time.Hour), run("b-new", "b", time.Minute), run("c-mid", "a", 10*time.Minute)}, version)
		got := runNameCompletions(context.Background(), mc, "ml", []string{"c-mid"}, "")
		want := []cobra.Completion{"b-new\tb", "a-old\ta"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: got %q, want %q", version, got, want)
		}
		last := s.queries[len(s.queries)-1]
		if !strings.Contains(last, "limit="+strconv.Itoa(completionLimit)) || !strings.Contains(last, "labelSelector=") {
			t.Errorf("%s: query %q has no limit or selector", version, last)
		}
	}
}

// Pipeline names: each read leaves out the pipelines seen, so a pipeline
// whose runs sort after a page of another's is still found, in few reads.
func TestPipelineCompletionFindsEveryPipelineInFewReads(t *testing.T) {
	var runs []metav1.ObjectMeta
	for i := range completionLimit + 10 {
		runs = append(runs, run(fmt.Sprintf("churn-%04d", i), "churn", time.Duration(i)*time.Minute))
	}
	runs = append(runs, run("sweep-1", "sweep", time.Minute), run("zeta-1", "zeta", time.Minute), metav1.ObjectMeta{Name: "zz-unlabelled", Labels: map[string]string{"app.kubernetes.io/managed-by": "kubectl-mlpipe"}})
	s, mc := metaRuns(t, runs, "v1")
	got := pipelineCompletions(context.Background(), mc, "ml", "")
	if want := []cobra.Completion{"churn", "sweep", "zeta"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if len(s.queries) != 2 {
		t.Errorf("%d reads: %q", len(s.queries), s.queries)
	}
	for _, q := range s.queries {
		if !strings.Contains(q, "limit="+strconv.Itoa(completionLimit)) {
			t.Errorf("unbounded read: %q", q)
		}
	}
	if got := pipelineCompletions(context.Background(), mc, "ml", "s"); fmt.Sprint(got) != "[sweep]" {
		t.Errorf("prefix s: %q", got)
	}
}

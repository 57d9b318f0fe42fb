package list

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	tekton "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	tektonfake "github.com/tektoncd/pipeline/pkg/client/clientset/versioned/fake"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"

	"github.com/mlpipe/kubectl-mlpipe/pkg/runcache"
)

// cachedTable lists as `list` does with the cache at path, and returns the
// table and the queries the server saw for it.
func cachedTable(t *testing.T, srv *apiServer, tc tekton.Interface, path string) (string, []string) {
	t.Helper()
	t.Setenv("MLPIPE_DASHBOARD_URL", "")
	mc, err := metadata.NewForConfig(&rest.Config{Host: srv.url, QPS: -1})
	if err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	srv.queries = nil
	srv.mu.Unlock()
	var out bytes.Buffer
	o := &Options{ChunkSize: 2, Cache: true, CachePath: path, meta: mc, now: func() time.Time { return now }}
	if err := o.run(context.Background(), tc, "ml", "app.kubernetes.io/managed-by=kubectl-mlpipe", genericiooptions.IOStreams{Out: &out, ErrOut: &out}); err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	return out.String(), append([]string(nil), srv.queries...)
}

// reads counts the queries that read whole runs: LISTs of runs (not of
// their metadata) and GETs of one run.
func reads(queries []string) (lists, gets []string) {
	for _, q := range queries {
		switch {
		case strings.HasPrefix(q, "metadata "):
		case strings.Contains(q, "/pipelineruns?"):
			lists = append(lists, q)
		case strings.Contains(q, "/pipelineruns/"):
			gets = append(gets, strings.TrimSuffix(q[strings.LastIndex(q, "/")+1:], "?"))
		}
	}
	return lists, gets
}

// With the cache, the table is the same, and a finished run is read whole
// only when it is new or changed: the second list reads only the runs that
// have not finished.
func TestCachedListReadsOnlyWhatChanged(t *testing.T) {
	want := table(t, tektonfake.NewSimpleClientset(representativeRuns()...), "", 0)
	srv, tc := serve(t, representativeRuns(), false)
	path := filepath.Join(t.TempDir(), "runs.json")

	got, q := cachedTable(t, srv, tc, path)
	if got != want {
		t.Fatalf("first list: got\n%s\nwant\n%s", got, want)
	}
	// With an empty cache every run is read in pages, with no metadata list first.
	if lists, gets := reads(q); len(lists) != 3 || len(gets) != 0 || strings.HasPrefix(q[0], "metadata") {
		t.Errorf("first list of 5 runs in pages of 2: queries %v", q)
	}
	if n := runcache.Open(path).Len(); n != 3 {
		t.Errorf("the cache holds %d runs; want the 3 finished", n)
	}

	got, q = cachedTable(t, srv, tc, path)
	if got != want {
		t.Fatalf("second list: got\n%s\nwant\n%s", got, want)
	}
	if lists, gets := reads(q); len(lists) != 0 || strings.Join(gets, ",") != "pending,running" && strings.Join(gets, ",") != "running,pending" {
		t.Errorf("second list: whole-run LISTs %v, GETs %v; want only the unfinished runs read", lists, gets)
	}

	// A finished run that changed (a new resourceVersion) is read again;
	// a deleted one leaves the table and the cache.
	srv.mu.Lock()
	for _, p := range srv.runs {
		if p.Name == "matrix" {
			p.ResourceVersion = "2"
			p.Labels["mlpipe.dev/pipeline"] = "sweep-renamed"
		}
	}
	srv.runs = srv.runs[1:] // "embedded"
	srv.mu.Unlock()
	got, q = cachedTable(t, srv, tc, path)
	if !strings.Contains(got, "sweep-renamed") || strings.Contains(got, "embedded") {
		t.Errorf("after a change and a delete:\n%s", got)
	}
	if _, gets := reads(q); len(gets) != 3 {
		t.Errorf("after a change: GETs %v; want the changed run and the 2 unfinished", gets)
	}
	if n := runcache.Open(path).Len(); n != 2 {
		t.Errorf("the cache holds %d runs; want 2 after the delete", n)
	}
}

// When most runs are not in the cache they are read in pages, not one by
// one; the next list reads metadata only.
func TestCachedListReadsManyMissesInPages(t *testing.T) {
	var objs []runtime.Object
	for i := range 70 {
		objs = append(objs, pr(fmt.Sprintf("r%02d", i), "train", time.Duration(i)*time.Minute+time.Hour, corev1.ConditionTrue, "Succeeded"))
	}
	srv, tc := serve(t, objs[:10], false)
	path := filepath.Join(t.TempDir(), "runs.json")
	cachedTable(t, srv, tc, path)
	srv.mu.Lock()
	for _, o := range objs[10:] {
		p := o.(*v1.PipelineRun)
		p.UID, p.ResourceVersion = types.UID("uid-"+p.Name), "1"
		srv.runs = append(srv.runs, p)
	}
	srv.mu.Unlock()
	second, q := cachedTable(t, srv, tc, path)
	if lists, gets := reads(q); len(lists) != 35 || len(gets) != 0 {
		t.Errorf("60 new runs of 70, in pages of 2: %d whole-run LISTs, %d GETs; want 35 and 0", len(lists), len(gets))
	}
	third, q := cachedTable(t, srv, tc, path)
	if lists, gets := reads(q); len(lists) != 0 || len(gets) != 0 {
		t.Errorf("third list: whole-run LISTs %v, GETs %v; want metadata only", lists, gets)
	}
	if second != third || strings.Count(second, "\n") != 71 {
		t.Errorf("the lists differ:\n%s\n%s", second, third)
	}
}

// A cache entry is used only for the uid and resourceVersion it was read
// at: a run recreated under the same name (new uid) is read again.
func TestCachedListIgnoresARecreatedRun(t *testing.T) {
	srv, tc := serve(t, []runtime.Object{pr("nightly", "train", time.Hour, corev1.ConditionTrue, "Succeeded")}, false)
	path := filepath.Join(t.TempDir(), "runs.json")
	cachedTable(t, srv, tc, path)
	srv.mu.Lock()
	fresh := pr("nightly", "train", time.Hour, corev1.ConditionFalse, "Failed")
	fresh.UID, fresh.ResourceVersion = "uid-again", "1"
	srv.runs = []*v1.PipelineRun{fresh}
	srv.mu.Unlock()
	got, _ := cachedTable(t, srv, tc, path)
	if !strings.Contains(got, "Failed") {
		t.Errorf("a recreated run is shown from the cache:\n%s", got)
	}
}

// -o name reads the runs' metadata only, newest first, on v1 and
// v1beta1-only clusters alike.
func TestNameReadsMetadataOnly(t *testing.T) {
	for _, beta := range []bool{false, true} {
		srv, tc := serve(t, representativeRuns(), beta)
		mc, err := metadata.NewForConfig(&rest.Config{Host: srv.url, QPS: -1})
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		o := &Options{Output: "name", ChunkSize: 2, meta: mc, now: func() time.Time { return now }}
		if err := o.run(context.Background(), tc, "ml", "app.kubernetes.io/managed-by=kubectl-mlpipe", genericiooptions.IOStreams{Out: &out, ErrOut: &out}); err != nil {
			t.Fatal(err)
		}
		want := "pipelinerun.tekton.dev/running\npipelinerun.tekton.dev/pending\npipelinerun.tekton.dev/referenced\npipelinerun.tekton.dev/matrix\npipelinerun.tekton.dev/embedded\n"
		if out.String() != want {
			t.Errorf("v1beta1 %v: -o name:\n%s\nwant\n%s", beta, out.String(), want)
		}
		for _, q := range srv.queries {
			if !strings.HasPrefix(q, "metadata ") {
				t.Errorf("v1beta1 %v: -o name read whole runs: %s", beta, q)
			}
		}
	}
}

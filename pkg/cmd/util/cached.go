package util

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	tekton "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"

	"github.com/mlpipe/kubectl-mlpipe/pkg/runcache"
	"github.com/mlpipe/kubectl-mlpipe/pkg/tektonclient"
)

// cachedGets is how many runs the cached list reads one by one, at once.
const cachedGets = 8

// CachedRunSummaries is AllRunSummaries for namespaces of many finished
// runs: it lists the runs' metadata only (a few hundred bytes a run, not
// tens of KiB) and takes each run the cache holds at the resourceVersion
// listed from the cache; the others (new, changed or unfinished runs) are
// read one by one, or, when they are more than a quarter of the runs, by
// AllRunSummaries' pages (with an empty cache, without listing metadata
// first). The cache is then
// made to hold the finished runs of what was listed.
//
// Where summaries cannot be read as v1 (v1beta1-only clusters, fakes) or
// there is no cache, this is AllRunSummaries.
func CachedRunSummaries(ctx context.Context, tc tekton.Interface, mc metadata.Interface, cache *runcache.Cache, ns string, opts metav1.ListOptions, chunk int64) ([]v1.PipelineRun, error) {
	rc := summaryClient(tc)
	sel, err := labels.Parse(opts.LabelSelector)
	if rc == nil || mc == nil || cache == nil || err != nil {
		return AllRunSummaries(ctx, tc, ns, opts, chunk)
	}
	if cache.Len() == 0 {
		// Nothing to find: every run is read, as the metadata would say.
		runs, err := AllRunSummaries(ctx, tc, ns, opts, chunk)
		if err == nil {
			cache.Replace(ns, sel, runs, Finished)
		}
		return runs, err
	}
	var metas []metav1.PartialObjectMetadata
	err = metadataPages(ctx, mc, runsV1, ns, opts, chunk, func(items []metav1.PartialObjectMetadata) error {
		// Only what finds a run is kept: the managedFields, labels and
		// annotations of thousands of runs would outweigh their rows.
		for i := range items {
			m := &items[i]
			metas = append(metas, metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: m.Name, Namespace: m.Namespace, UID: m.UID, ResourceVersion: m.ResourceVersion}})
		}
		return nil
	})
	if tektonclient.Missing(err) {
		return AllRunSummaries(ctx, tc, ns, opts, chunk)
	}
	if err != nil {
		return nil, err
	}
	runs := make([]v1.PipelineRun, len(metas))
	var miss []int
	for i := range metas {
		m := &metas[i]
		if pr, ok := cache.Get(m.UID, m.ResourceVersion); ok && pr.Name == m.Name && pr.Namespace == m.Namespace {
			runs[i] = pr
			continue
		}
		miss = append(miss, i)
	}
	if len(miss) > 50 && 4*len(miss) > len(metas) {
		runs, err = AllRunSummaries(ctx, tc, ns, opts, chunk)
		if err == nil {
			cache.Replace(ns, sel, runs, Finished)
		}
		return runs, err
	}
	gone, err := readEach(ctx, rc, metas, miss, runs)
	if err != nil {
		return nil, err
	}
	out := runs[:0]
	for i := range runs {
		if !gone[i] {
			out = append(out, runs[i])
		}
	}
	cache.Replace(ns, sel, out, Finished)
	return out, nil
}

// summaryClient is the REST client summaries are read with, or nil where
// they are not (see ListRunSummaries).
func summaryClient(tc tekton.Interface) *rest.RESTClient {
	if w, ok := tc.(*tektonclient.Clientset); ok && w.Mode() == tektonclient.V1beta1 {
		return nil
	}
	rc, _ := tc.TektonV1().RESTClient().(*rest.RESTClient)
	return rc
}

// readEach reads the summaries of the runs metas[miss] into runs[miss],
// cachedGets at a time. A run deleted since it was listed is reported gone.
func readEach(ctx context.Context, rc *rest.RESTClient, metas []metav1.PartialObjectMetadata, miss []int, runs []v1.PipelineRun) (map[int]bool, error) {
	gone := map[int]bool{}
	var mu sync.Mutex
	var first error
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(cachedGets, len(miss)) {
		wg.Go(func() {
			for i := range work {
				pr, err := getSummary(ctx, rc, metas[i].Namespace, metas[i].Name)
				mu.Lock()
				switch {
				case apierrors.IsNotFound(err):
					gone[i] = true
				case err != nil && first == nil:
					first = err
				case err == nil:
					runs[i] = pr
				}
				mu.Unlock()
			}
		})
	}
	for _, i := range miss {
		work <- i
	}
	close(work)
	wg.Wait()
	return gone, first
}

// getSummary reads one run as ListRunSummaries reads each item of a page.
func getSummary(ctx context.Context, rc *rest.RESTClient, ns, name string) (v1.PipelineRun, error) {
	body, err := rc.Get().Namespace(ns).Resource("pipelineruns").Name(name).
		SetHeader("Accept", "application/json").
		Stream(ctx)
	if err != nil {
		return v1.PipelineRun{}, err
	}
	defer body.Close()
	var s slimRun
	err = json.NewDecoder(body).Decode(&s)
	// Read to the end, so the stream ends as the server sent it rather than
	// being reset (which the apiserver logs as an aborted request).
	_, _ = io.Copy(io.Discard, body)
	if err != nil {
		return v1.PipelineRun{}, fmt.Errorf("reading run %s/%s: %w", ns, name, err)
	}
	return s.run(), nil
}

// AllRunNames lists the runs' metadata only (from tekton.dev/v1beta1 where
// v1 is not served), in pages of chunk, as runs that carry nothing else:
// for -o name, which needs only their names and creation times.
func AllRunNames(ctx context.Context, mc metadata.Interface, ns string, opts metav1.ListOptions, chunk int64) ([]v1.PipelineRun, error) {
	var out []v1.PipelineRun
	for _, gvr := range []schema.GroupVersionResource{runsV1, runsV1beta1} {
		out = nil
		err := metadataPages(ctx, mc, gvr, ns, opts, chunk, func(items []metav1.PartialObjectMetadata) error {
			for i := range items {
				out = append(out, v1.PipelineRun{ObjectMeta: items[i].ObjectMeta})
			}
			return nil
		})
		if !tektonclient.Missing(err) {
			return out, err
		}
	}
	return nil, fmt.Errorf("this cluster serves no PipelineRuns (tekton.dev/v1 or v1beta1)")
}

// metadataPages lists gvr's metadata in pages of chunk, calling page with each.
func metadataPages(ctx context.Context, mc metadata.Interface, gvr schema.GroupVersionResource, ns string, opts metav1.ListOptions, chunk int64, page func([]metav1.PartialObjectMetadata) error) error {
	return paged(opts, chunk, func(o metav1.ListOptions) ([]metav1.PartialObjectMetadata, string, error) {
		l, err := mc.Resource(gvr).Namespace(ns).List(ctx, o)
		if err != nil {
			return nil, "", err
		}
		return l.Items, l.Continue, nil
	}, page)
}

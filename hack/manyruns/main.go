// Command manyruns fills a namespace with the runs a pipeline run nightly
// for years leaves behind, fast: each FILE=COUNT argument is a run rendered
// by `kubectl mlpipe render -o json`, created COUNT times (named
// PIPELINE-00001…) so that Tekton starts nothing: the -unfinished newest of
// each with spec.status PipelineRunPending, the others with spec.status
// Cancelled (Tekton's webhook refuses a start time on a pending run) and
// then given a finished status the way Tekton writes one (Succeeded, every
// 20th Failed; starts one day apart; a child reference per task;
// status.pipelineSpec, which doubles a stored run as Tekton's own copy
// does). Tekton's reconciler may write its own status over ours in the
// meantime, so the runs are read back and patched again until each holds
// the status written here.
//
//	manyruns -namespace NS training.json=9000 sweep.json=1000
//
// KUBECONFIG points at the cluster. Progress goes to stderr.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	tekton "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/clientcmd"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
	"sigs.k8s.io/yaml"
)

func main() {
	ns := flag.String("namespace", "default", "namespace of the runs")
	workers := flag.Int("workers", 16, "concurrent requests")
	unfinished := flag.Int("unfinished", 3, "how many of the newest runs of each file stay pending")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: manyruns [-namespace NS] FILE=COUNT...")
		os.Exit(2)
	}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(clientcmd.NewDefaultClientConfigLoadingRules(), nil).ClientConfig()
	if err != nil {
		fail(err)
	}
	cfg.QPS, cfg.Burst = 1000, 2000
	tc, err := tekton.NewForConfig(cfg)
	if err != nil {
		fail(err)
	}
	type job struct {
		pr       *v1.PipelineRun
		i, count int
	}
	var jobs []job
	for _, a := range flag.Args() {
		file, n, ok := strings.Cut(a, "=")
		count, err := strconv.Atoi(n)
		if !ok || err != nil {
			fail(fmt.Errorf("%q: want FILE=COUNT", a))
		}
		b, err := os.ReadFile(file)
		if err != nil {
			fail(err)
		}
		pr := &v1.PipelineRun{}
		if err := yaml.Unmarshal(b, pr); err != nil {
			fail(fmt.Errorf("%s: %w", file, err))
		}
		for i := 1; i <= count; i++ {
			jobs = append(jobs, job{pr, i, count})
		}
	}
	ctx := context.Background()
	now := time.Now()
	var next, done atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < *workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := int(next.Add(1) - 1)
				if k >= len(jobs) {
					return
				}
				j := jobs[k]
				pr := j.pr.DeepCopy()
				pipeline := pr.Labels["mlpipe.dev/pipeline"]
				pr.GenerateName = ""
				pr.Name = fmt.Sprintf("%s-%05d", pipeline, j.i)
				pr.Namespace = *ns
				fin := j.i <= j.count-*unfinished
				pr.Spec.Status = v1.PipelineRunSpecStatusPending
				if fin {
					pr.Spec.Status = v1.PipelineRunSpecStatusCancelled
				}
				created, err := tc.TektonV1().PipelineRuns(*ns).Create(ctx, pr, metav1.CreateOptions{})
				if apierrors.IsAlreadyExists(err) {
					created, err = tc.TektonV1().PipelineRuns(*ns).Get(ctx, pr.Name, metav1.GetOptions{})
				}
				if err != nil {
					fail(err)
				}
				if fin {
					if err := finish(ctx, tc, created, started(now, j.i, j.count), j.i%20 == 0); err != nil {
						fail(fmt.Errorf("%s: %w", pr.Name, err))
					}
				}
				if d := done.Add(1); d%1000 == 0 || int(d) == len(jobs) {
					fmt.Fprintf(os.Stderr, "manyruns: %d/%d runs (%.0f/s)\n", d, len(jobs), float64(d)/time.Since(start).Seconds())
				}
			}
		}()
	}
	wg.Wait()
	// Read back: put our status again where Tekton's stands.
	want := map[string]job{}
	for _, j := range jobs {
		if j.i <= j.count-*unfinished {
			want[fmt.Sprintf("%s-%05d", j.pr.Labels["mlpipe.dev/pipeline"], j.i)] = j
		}
	}
	for attempt := 0; ; attempt++ {
		var redo []*v1.PipelineRun
		opts := metav1.ListOptions{Limit: 500}
		for {
			l, err := tc.TektonV1().PipelineRuns(*ns).List(ctx, opts)
			if err != nil {
				fail(err)
			}
			for i := range l.Items {
				pr := &l.Items[i]
				j, ok := want[pr.Name]
				if !ok {
					continue
				}
				c := pr.Status.GetCondition(apis.ConditionSucceeded)
				if c == nil || (c.Reason != "Succeeded" && c.Reason != "Failed") || pr.Status.StartTime == nil || !pr.Status.StartTime.Time.Equal(started(now, j.i, j.count).Truncate(time.Second)) {
					redo = append(redo, pr)
				}
			}
			if l.Continue == "" {
				break
			}
			opts.Continue = l.Continue
		}
		if len(redo) == 0 {
			break
		}
		if attempt == 10 {
			fail(fmt.Errorf("%d runs still lack their status", len(redo)))
		}
		fmt.Fprintf(os.Stderr, "manyruns: %d runs got Tekton's status over ours; writing ours again\n", len(redo))
		time.Sleep(2 * time.Second)
		for _, pr := range redo {
			j := want[pr.Name]
			if err := finish(ctx, tc, pr, started(now, j.i, j.count), j.i%20 == 0); err != nil {
				fail(fmt.Errorf("%s: %w", pr.Name, err))
			}
		}
	}
}

// started is the start of the run i of count: nightly, the last one a day ago.
func started(now time.Time, i, count int) time.Time {
	return now.Add(-time.Duration(count-i+1) * 24 * time.Hour)
}

// finish writes a finished status, as Tekton would have, through the status subresource.
func finish(ctx context.Context, tc tekton.Interface, pr *v1.PipelineRun, started time.Time, failed bool) error {
	st := v1.PipelineRunStatus{}
	cond := apis.Condition{Type: apis.ConditionSucceeded, Status: corev1.ConditionTrue, Reason: "Succeeded", Message: "Tasks Completed: 6 (Failed: 0, Cancelled 0), Skipped: 0"}
	if failed {
		cond.Status, cond.Reason, cond.Message = corev1.ConditionFalse, "Failed", "Tasks Completed: 3 (Failed: 1, Cancelled 0), Skipped: 3"
	}
	cond.LastTransitionTime = apis.VolatileTime{Inner: metav1.NewTime(started.Add(11 * time.Minute))}
	st.Conditions = duckv1.Conditions{cond}
	st.StartTime = &metav1.Time{Time: started}
	st.CompletionTime = &metav1.Time{Time: started.Add(11 * time.Minute)}
	st.PipelineSpec = pr.Spec.PipelineSpec
	if ps := pr.Spec.PipelineSpec; ps != nil {
		for _, t := range append(append([]v1.PipelineTask{}, ps.Tasks...), ps.Finally...) {
			st.ChildReferences = append(st.ChildReferences, v1.ChildStatusReference{
				TypeMeta:         runtime.TypeMeta{APIVersion: "tekton.dev/v1", Kind: "TaskRun"},
				Name:             pr.Name + "-" + t.Name,
				PipelineTaskName: t.Name,
			})
		}
	}
	body, err := json.Marshal(map[string]any{"status": st})
	if err != nil {
		return err
	}
	_, err = tc.TektonV1().PipelineRuns(pr.Namespace).Patch(ctx, pr.Name, types.MergePatchType, body, metav1.PatchOptions{}, "status")
	return err
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "manyruns:", err)
	os.Exit(1)
}

package util

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	tekton "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	"github.com/tektoncd/pipeline/pkg/client/clientset/versioned/scheme"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	duckv1 "knative.dev/pkg/apis/duck/v1"

	"github.com/mlpipe/kubectl-mlpipe/pkg/tektonclient"
)

// ListRunSummaries is ListRuns for views that show a run's state but not
// its spec (list's table). A stored run holds its whole pipeline twice
// (spec.pipelineSpec and Tekton's copy in status.pipelineSpec), tens of KiB
// of which the table needs only the steps' names and matrices: each page is
// read from the response as it streams in and only the fields below are
// kept (slimRun), so memory grows by about a KiB a run, not by the runs'
// full size. The server still sends whole runs: the API has no field
// selection for a LIST, and its Table (what kubectl get reads) has no step
// counts and times only to the minute.
//
// On clusters where the runs are read as tekton.dev/v1beta1 (tektonclient
// converts them) and with clients that have no REST client (fakes), this is
// ListRuns.
func ListRunSummaries(ctx context.Context, tc tekton.Interface, ns string, opts metav1.ListOptions, chunk int64, page func([]v1.PipelineRun) error) error {
	rc := summaryClient(tc)
	if rc == nil {
		return ListRuns(ctx, tc, ns, opts, chunk, page)
	}
	err := paged(opts, chunk, func(o metav1.ListOptions) ([]v1.PipelineRun, string, error) {
		return listPage(ctx, rc, ns, o)
	}, page)
	if tektonclient.Missing(err) {
		// No v1 here (known from the first page): the wrapped client
		// switches to v1beta1 and converts.
		return ListRuns(ctx, tc, ns, opts, chunk, page)
	}
	return err
}

// AllRunSummaries is ListRunSummaries gathered into one slice.
func AllRunSummaries(ctx context.Context, tc tekton.Interface, ns string, opts metav1.ListOptions, chunk int64) ([]v1.PipelineRun, error) {
	var out []v1.PipelineRun
	err := ListRunSummaries(ctx, tc, ns, opts, chunk, func(items []v1.PipelineRun) error {
		out = append(out, items...)
		return nil
	})
	return out, err
}

func listPage(ctx context.Context, rc *rest.RESTClient, ns string, opts metav1.ListOptions) ([]v1.PipelineRun, string, error) {
	body, err := rc.Get().Namespace(ns).Resource("pipelineruns").
		VersionedParams(&opts, scheme.ParameterCodec).
		SetHeader("Accept", "application/json").
		Stream(ctx)
	if err != nil {
		return nil, "", err
	}
	defer body.Close()
	return decodeRunList(body)
}

// decodeRunList reads a PipelineRunList one item at a time, keeping each
// item's slimRun.
func decodeRunList(r io.Reader) ([]v1.PipelineRun, string, error) {
	dec := json.NewDecoder(r)
	var items []v1.PipelineRun
	var cont string
	if err := expectDelim(dec, '{'); err != nil {
		return nil, "", err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, "", err
		}
		switch tok {
		case "metadata":
			var lm metav1.ListMeta
			if err := dec.Decode(&lm); err != nil {
				return nil, "", err
			}
			cont = lm.Continue
		case "items":
			if err := expectDelim(dec, '['); err != nil {
				return nil, "", err
			}
			for dec.More() {
				var s slimRun
				if err := dec.Decode(&s); err != nil {
					return nil, "", fmt.Errorf("reading a run: %w", err)
				}
				items = append(items, s.run())
			}
			if err := expectDelim(dec, ']'); err != nil {
				return nil, "", err
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, "", err
			}
		}
	}
	return items, cont, expectDelim(dec, '}')
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != want {
		return fmt.Errorf("reading the list of runs: got %v, want %v", tok, want)
	}
	return nil
}

// slimRun is what list's table, status.Build, Finished and delete read of a
// run: its metadata (without managedFields), spec.status, the name in
// spec.pipelineRef, the conditions, times
// and skipped tasks of its status, and of its pipeline (spec.pipelineSpec,
// or status.pipelineSpec for a referenced one) each task's name and matrix
// (a matrixed task is one step per combination). Every other field, the
// task specs above all, is skipped unread.
type slimRun struct {
	Metadata struct {
		Name              string            `json:"name"`
		Namespace         string            `json:"namespace"`
		UID               types.UID         `json:"uid"`
		ResourceVersion   string            `json:"resourceVersion"`
		CreationTimestamp metav1.Time       `json:"creationTimestamp"`
		DeletionTimestamp *metav1.Time      `json:"deletionTimestamp"`
		Labels            map[string]string `json:"labels"`
		Annotations       map[string]string `json:"annotations"`
	} `json:"metadata"`
	Spec struct {
		Status       v1.PipelineRunSpecStatus `json:"status"`
		PipelineSpec *slimPipeline            `json:"pipelineSpec"`
		PipelineRef  *struct {
			Name string `json:"name"`
		} `json:"pipelineRef"`
	} `json:"spec"`
	Status struct {
		Conditions     duckv1.Conditions `json:"conditions"`
		StartTime      *metav1.Time      `json:"startTime"`
		CompletionTime *metav1.Time      `json:"completionTime"`
		SkippedTasks   []v1.SkippedTask  `json:"skippedTasks"`
		PipelineSpec   *slimPipeline     `json:"pipelineSpec"`
	} `json:"status"`
}

type slimPipeline struct {
	Tasks   []slimTask `json:"tasks"`
	Finally []slimTask `json:"finally"`
}

type slimTask struct {
	Name   string     `json:"name"`
	Matrix *v1.Matrix `json:"matrix"`
}

func (s *slimRun) run() v1.PipelineRun {
	m := &s.Metadata
	pr := v1.PipelineRun{ObjectMeta: metav1.ObjectMeta{
		Name: m.Name, Namespace: m.Namespace, UID: m.UID, ResourceVersion: m.ResourceVersion,
		CreationTimestamp: m.CreationTimestamp, DeletionTimestamp: m.DeletionTimestamp,
		Labels: m.Labels, Annotations: m.Annotations,
	}}
	pr.Spec.Status = s.Spec.Status
	pr.Spec.PipelineSpec = s.Spec.PipelineSpec.spec()
	if r := s.Spec.PipelineRef; r != nil {
		pr.Spec.PipelineRef = &v1.PipelineRef{Name: r.Name}
	}
	pr.Status.Conditions = s.Status.Conditions
	pr.Status.StartTime = s.Status.StartTime
	pr.Status.CompletionTime = s.Status.CompletionTime
	pr.Status.SkippedTasks = s.Status.SkippedTasks
	pr.Status.PipelineSpec = s.Status.PipelineSpec.spec()
	return pr
}

func (p *slimPipeline) spec() *v1.PipelineSpec {
	if p == nil {
		return nil
	}
	tasks := func(in []slimTask) []v1.PipelineTask {
		var out []v1.PipelineTask
		for _, t := range in {
			out = append(out, v1.PipelineTask{Name: t.Name, Matrix: t.Matrix})
		}
		return out
	}
	return &v1.PipelineSpec{Tasks: tasks(p.Tasks), Finally: tasks(p.Finally)}
}

package run

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"github.com/tektoncd/pipeline/pkg/apis/pipeline/v1beta1"
	tekton "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/mlpipe/kubectl-mlpipe/pkg/budget"
	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd/util"
	rendertekton "github.com/mlpipe/kubectl-mlpipe/pkg/render/tekton"
)

// taskWriters bounds the Task creates in flight: enough to hide the round
// trips, few enough not to queue behind the apiserver's own limits.
const taskWriters = 8

// createReferenced writes a referenced run in order: the Tasks that are not
// there yet, the Pipeline unless it is there, then the run. Tasks and
// Pipeline are named by content hash, so what an earlier attempt (or run)
// left is reused; a same-named object with other content is refused.
func (o *Options) createReferenced(ctx context.Context, tc tekton.Interface, p *util.Prepared) (*v1.PipelineRun, error) {
	ref := p.Referenced
	sel := util.RunSelector(ref.Run.Labels[rendertekton.LabelPipeline])
	// One LIST says which Tasks exist: a second run of the same spec writes none.
	have := map[string]string{}
	list, err := tc.TektonV1().Tasks(o.ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return nil, o.writeError("list", "tasks", err)
	}
	for _, t := range list.Items {
		have[t.Name] = t.Annotations[rendertekton.AnnotationContent]
	}
	opts := metav1.CreateOptions{FieldManager: o.FieldManager}
	if o.DryRun == DryRunServer {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	var todo []runtime.Object
	for i, t := range ref.Tasks {
		sum, ok := have[t.Name]
		switch {
		case !ok:
			todo = append(todo, p.Objects[i])
		case sum != t.Annotations[rendertekton.AnnotationContent]:
			return nil, collision("Task", t.Name, o.ns, sum, t.Annotations[rendertekton.AnnotationContent])
		}
	}
	if err := o.createAll(ctx, tc, todo, opts); err != nil {
		return nil, err
	}
	pl := p.Objects[len(ref.Tasks)]
	reusedPipeline := false
	if existing, err := tc.TektonV1().Pipelines(o.ns).Get(ctx, ref.Pipeline.Name, metav1.GetOptions{}); err == nil {
		if sum := existing.Annotations[rendertekton.AnnotationContent]; sum != ref.Pipeline.Annotations[rendertekton.AnnotationContent] {
			return nil, collision("Pipeline", ref.Pipeline.Name, o.ns, sum, ref.Pipeline.Annotations[rendertekton.AnnotationContent])
		}
		reusedPipeline = true
	} else if !apierrors.IsNotFound(err) {
		return nil, o.writeError("get", "pipelines", err)
	} else if err := o.createOne(ctx, tc, pl, opts); err != nil {
		return nil, err
	}
	what := "created"
	if o.DryRun == DryRunServer {
		what = "would create (server dry run)"
	}
	pipeline := "Pipeline " + ref.Pipeline.Name
	if reusedPipeline {
		pipeline += " (already there)"
	}
	fmt.Fprintf(o.ErrOut, "Referenced mode: %s %d of %d Tasks (%d already there) and %s\n", what, len(todo), len(ref.Tasks), len(ref.Tasks)-len(todo), pipeline)
	return o.create(ctx, tc, p.Objects[len(p.Objects)-1])
}

// createAll creates objs with a bounded number of writers, stopping at the
// first failure. What was created stays: it is named by content and the
// next run reuses it.
func (o *Options) createAll(ctx context.Context, tc tekton.Interface, objs []runtime.Object, opts metav1.CreateOptions) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next     atomic.Int64
		once     sync.Once
		firstErr error
		wg       sync.WaitGroup
	)
	var written atomic.Int64
	if len(objs) >= 50 {
		// A thousand Tasks take seconds: say how far along the writes are.
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			t := time.NewTicker(2 * time.Second)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					fmt.Fprintf(o.ErrOut, "Referenced mode: writing Tasks, %d/%d\n", written.Load(), len(objs))
				}
			}
		}()
	}
	n := min(taskWriters, len(objs))
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(objs) || ctx.Err() != nil {
					return
				}
				if err := o.createOne(ctx, tc, objs[i], opts); err != nil {
					once.Do(func() { firstErr = err; cancel() })
					return
				}
				written.Add(1)
			}
		}()
	}
	wg.Wait()
	return firstErr
}

// createOne creates a Task or Pipeline as the version it was converted to.
// AlreadyExists is fine when the content hash matches: a concurrent run of
// the same spec, or an answer lost on the way.
func (o *Options) createOne(ctx context.Context, tc tekton.Interface, obj runtime.Object, opts metav1.CreateOptions) error {
	var send func() (metav1.Object, error)
	var get func() (metav1.Object, error)
	var kind, resource string
	switch obj := obj.(type) {
	case *v1.Task:
		kind, resource = "Task", "tasks"
		send = func() (metav1.Object, error) { return tc.TektonV1().Tasks(o.ns).Create(ctx, obj, opts) }
		get = func() (metav1.Object, error) {
			return tc.TektonV1().Tasks(o.ns).Get(ctx, obj.Name, metav1.GetOptions{})
		}
	case *v1.Pipeline:
		kind, resource = "Pipeline", "pipelines"
		send = func() (metav1.Object, error) { return tc.TektonV1().Pipelines(o.ns).Create(ctx, obj, opts) }
		get = func() (metav1.Object, error) {
			return tc.TektonV1().Pipelines(o.ns).Get(ctx, obj.Name, metav1.GetOptions{})
		}
	//lint:ignore SA1019 sent as v1beta1 where the cluster serves nothing newer
	case *v1beta1.Task:
		kind, resource = "Task", "tasks"
		send = func() (metav1.Object, error) { return tc.TektonV1beta1().Tasks(o.ns).Create(ctx, obj, opts) }
		get = func() (metav1.Object, error) {
			return tc.TektonV1beta1().Tasks(o.ns).Get(ctx, obj.Name, metav1.GetOptions{})
		}
	//lint:ignore SA1019 sent as v1beta1 where the cluster serves nothing newer
	case *v1beta1.Pipeline:
		kind, resource = "Pipeline", "pipelines"
		send = func() (metav1.Object, error) { return tc.TektonV1beta1().Pipelines(o.ns).Create(ctx, obj, opts) }
		get = func() (metav1.Object, error) {
			return tc.TektonV1beta1().Pipelines(o.ns).Get(ctx, obj.Name, metav1.GetOptions{})
		}
	default:
		return fmt.Errorf("cannot send a %T", obj)
	}
	mine := obj.(metav1.Object)
	_, err := createRetrying(ctx, o.ErrOut, send)
	if apierrors.IsAlreadyExists(err) {
		existing, gerr := get()
		if gerr != nil {
			return o.writeError("get", resource, gerr)
		}
		want := mine.GetAnnotations()[rendertekton.AnnotationContent]
		if sum := existing.GetAnnotations()[rendertekton.AnnotationContent]; sum != want {
			return collision(kind, mine.GetName(), o.ns, sum, want)
		}
		return nil
	}
	if err != nil && webhookTimedOut(err) {
		return webhookTimeout(kind+" "+mine.GetName(), budget.Size(obj), err)
	}
	if err != nil {
		return o.writeError("create", resource, fmt.Errorf("%s %s: %w", kind, mine.GetName(), err))
	}
	return nil
}

// writeError names what failed; forbidden says which permission is missing.
func (o *Options) writeError(verb, resource string, err error) error {
	if apierrors.IsForbidden(err) {
		return fmt.Errorf("forbidden: you may not %s %s.tekton.dev in namespace %q, which referenced mode needs (or use --mode embedded, which needs only pipelineruns); ask for a Role granting it: %w", verb, resource, o.ns, err)
	}
	if apierrors.IsInvalid(err) || apierrors.IsBadRequest(err) {
		return fmt.Errorf("the cluster rejected the %s: %w", resource, err)
	}
	return err
}

func collision(kind, name, ns, theirs, ours string) error {
	short := func(s string) string {
		if len(s) > 16 {
			return s[:16] + "…"
		}
		if s == "" {
			return "none"
		}
		return s
	}
	return &util.ExitError{Code: util.ExitFailure, Err: fmt.Errorf(
		"%s %s in namespace %q has other content (content sha256 %s, this run's %s): a hash collision, or it was edited by hand; nothing more was written. Delete it (kubectl delete %s %s -n %s) and run again",
		kind, name, ns, short(theirs), short(ours), kind, name, ns)}
}

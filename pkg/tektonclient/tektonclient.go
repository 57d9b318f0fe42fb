// Package tektonclient gives every command one view of Tekton's runs, as
// tekton.dev/v1 objects, whichever version the cluster serves: where only
// tekton.dev/v1beta1 is (Tekton before v0.44, or v0.44–v0.49 without its
// conversion webhook), requests go to v1beta1 and objects are converted
// both ways with Tekton's own conversion code.
package tektonclient

//lint:file-ignore SA1019 clusters that serve only tekton.dev/v1beta1 are what this file is for

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"github.com/tektoncd/pipeline/pkg/apis/pipeline/v1beta1"
	"github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	tektonv1 "github.com/tektoncd/pipeline/pkg/client/clientset/versioned/typed/pipeline/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/mlpipe/kubectl-mlpipe/pkg/tektonapi"
)

// Mode is the API version requests go to.
type Mode int32

const (
	// Auto sends v1 and, when the cluster has no v1 PipelineRuns, switches
	// to v1beta1 for the rest of the process: no request is spent on
	// clusters that serve v1.
	Auto Mode = iota
	// V1 sends v1 only.
	V1
	// V1beta1 sends v1beta1 only.
	V1beta1
)

// Clientset is a Tekton clientset whose TektonV1() works on v1beta1-only
// clusters too.
type Clientset struct {
	versioned.Interface
	mode *atomic.Int32
}

// New wraps cs. mode Auto finds the version on the first request.
func New(cs versioned.Interface, mode Mode) *Clientset {
	m := &atomic.Int32{}
	m.Store(int32(mode))
	return &Clientset{Interface: cs, mode: m}
}

// Mode is the version requests go to now.
func (c *Clientset) Mode() Mode { return Mode(c.mode.Load()) }

// SetMode sends every later request to m's version.
func (c *Clientset) SetMode(m Mode) { c.mode.Store(int32(m)) }

// TektonV1 is the v1 client, bridged to v1beta1 where v1 is not served.
func (c *Clientset) TektonV1() tektonv1.TektonV1Interface {
	return &v1Client{TektonV1Interface: c.Interface.TektonV1(), c: c}
}

type v1Client struct {
	tektonv1.TektonV1Interface
	c *Clientset
}

func (v *v1Client) PipelineRuns(ns string) tektonv1.PipelineRunInterface {
	return &auto[*v1.PipelineRun, *v1.PipelineRunList]{
		v1: v.TektonV1Interface.PipelineRuns(ns),
		beta: &bridge[*v1.PipelineRun, *v1.PipelineRunList, *v1beta1.PipelineRun, *v1beta1.PipelineRunList]{
			b: v.c.Interface.TektonV1beta1().PipelineRuns(ns),
			up: func(pr *v1beta1.PipelineRun) (*v1.PipelineRun, error) {
				return tektonapi.PipelineRunToV1(context.Background(), pr)
			},
			down: func(pr *v1.PipelineRun) (*v1beta1.PipelineRun, error) {
				return tektonapi.ToV1beta1(context.Background(), pr)
			},
			upList: func(l *v1beta1.PipelineRunList) (*v1.PipelineRunList, error) {
				items, err := upItems(l.Items, tektonapi.PipelineRunToV1)
				return &v1.PipelineRunList{ListMeta: l.ListMeta, Items: items}, err
			},
		},
		mode: v.c.mode,
	}
}

func (v *v1Client) TaskRuns(ns string) tektonv1.TaskRunInterface {
	return &auto[*v1.TaskRun, *v1.TaskRunList]{
		v1: v.TektonV1Interface.TaskRuns(ns),
		beta: &bridge[*v1.TaskRun, *v1.TaskRunList, *v1beta1.TaskRun, *v1beta1.TaskRunList]{
			b: v.c.Interface.TektonV1beta1().TaskRuns(ns),
			up: func(tr *v1beta1.TaskRun) (*v1.TaskRun, error) {
				return tektonapi.TaskRunToV1(context.Background(), tr)
			},
			down: func(tr *v1.TaskRun) (*v1beta1.TaskRun, error) {
				out := &v1beta1.TaskRun{}
				return out, out.ConvertFrom(context.Background(), tr.DeepCopy())
			},
			upList: func(l *v1beta1.TaskRunList) (*v1.TaskRunList, error) {
				items, err := upItems(l.Items, tektonapi.TaskRunToV1)
				return &v1.TaskRunList{ListMeta: l.ListMeta, Items: items}, err
			},
		},
		mode: v.c.mode,
	}
}

func (v *v1Client) Pipelines(ns string) tektonv1.PipelineInterface {
	return &auto[*v1.Pipeline, *v1.PipelineList]{
		v1: noStatus[*v1.Pipeline, *v1.PipelineList]{v.TektonV1Interface.Pipelines(ns)},
		beta: &bridge[*v1.Pipeline, *v1.PipelineList, *v1beta1.Pipeline, *v1beta1.PipelineList]{
			b: noStatus[*v1beta1.Pipeline, *v1beta1.PipelineList]{v.c.Interface.TektonV1beta1().Pipelines(ns)},
			up: func(p *v1beta1.Pipeline) (*v1.Pipeline, error) {
				return tektonapi.PipelineToV1(context.Background(), p)
			},
			down: func(p *v1.Pipeline) (*v1beta1.Pipeline, error) {
				return tektonapi.PipelineToV1beta1(context.Background(), p)
			},
			upList: func(l *v1beta1.PipelineList) (*v1.PipelineList, error) {
				items, err := upItems(l.Items, tektonapi.PipelineToV1)
				return &v1.PipelineList{ListMeta: l.ListMeta, Items: items}, err
			},
		},
		mode: v.c.mode,
	}
}

func (v *v1Client) Tasks(ns string) tektonv1.TaskInterface {
	return &auto[*v1.Task, *v1.TaskList]{
		v1: noStatus[*v1.Task, *v1.TaskList]{v.TektonV1Interface.Tasks(ns)},
		beta: &bridge[*v1.Task, *v1.TaskList, *v1beta1.Task, *v1beta1.TaskList]{
			b: noStatus[*v1beta1.Task, *v1beta1.TaskList]{v.c.Interface.TektonV1beta1().Tasks(ns)},
			up: func(t *v1beta1.Task) (*v1.Task, error) {
				return tektonapi.TaskToV1(context.Background(), t)
			},
			down: func(t *v1.Task) (*v1beta1.Task, error) {
				return tektonapi.TaskToV1beta1(context.Background(), t)
			},
			upList: func(l *v1beta1.TaskList) (*v1.TaskList, error) {
				items, err := upItems(l.Items, tektonapi.TaskToV1)
				return &v1.TaskList{ListMeta: l.ListMeta, Items: items}, err
			},
		},
		mode: v.c.mode,
	}
}

// upItems converts the items of a v1beta1 list to v1.
func upItems[TB, T1 any](in []TB, up func(context.Context, *TB) (*T1, error)) ([]T1, error) {
	out := make([]T1, len(in))
	for i := range in {
		o, err := up(context.Background(), &in[i])
		if err != nil {
			return nil, err
		}
		out[i] = *o
	}
	return out, nil
}

// statusless is a generated client of a kind without a status subresource.
type statusless[T, L any] interface {
	Create(context.Context, T, metav1.CreateOptions) (T, error)
	Update(context.Context, T, metav1.UpdateOptions) (T, error)
	Delete(context.Context, string, metav1.DeleteOptions) error
	DeleteCollection(context.Context, metav1.DeleteOptions, metav1.ListOptions) error
	Get(context.Context, string, metav1.GetOptions) (T, error)
	List(context.Context, metav1.ListOptions) (L, error)
	Watch(context.Context, metav1.ListOptions) (watch.Interface, error)
	Patch(context.Context, string, types.PatchType, []byte, metav1.PatchOptions, ...string) (T, error)
}

// noStatus gives a Pipeline or Task client the UpdateStatus that typed
// asks for; those kinds have no status to update.
type noStatus[T, L any] struct{ statusless[T, L] }

func (noStatus[T, L]) UpdateStatus(context.Context, T, metav1.UpdateOptions) (T, error) {
	var zero T
	return zero, errors.New("this kind has no status subresource")
}

// typed is what the generated clients of both versions have in common.
type typed[T, L any] interface {
	Create(context.Context, T, metav1.CreateOptions) (T, error)
	Update(context.Context, T, metav1.UpdateOptions) (T, error)
	UpdateStatus(context.Context, T, metav1.UpdateOptions) (T, error)
	Delete(context.Context, string, metav1.DeleteOptions) error
	DeleteCollection(context.Context, metav1.DeleteOptions, metav1.ListOptions) error
	Get(context.Context, string, metav1.GetOptions) (T, error)
	List(context.Context, metav1.ListOptions) (L, error)
	Watch(context.Context, metav1.ListOptions) (watch.Interface, error)
	Patch(context.Context, string, types.PatchType, []byte, metav1.PatchOptions, ...string) (T, error)
}

// Missing reports whether err says the cluster serves no such resource
// (as opposed to no such object): the answer for tekton.dev/v1 on Tekton
// before v0.44.
func Missing(err error) bool {
	if !apierrors.IsNotFound(err) {
		return false
	}
	s, ok := err.(apierrors.APIStatus)
	return ok && strings.Contains(s.Status().Message, "could not find the requested resource")
}

// auto sends v1 until the cluster says it has no v1 PipelineRuns, then
// sends everything through beta.
type auto[T, L any] struct {
	v1, beta typed[T, L]
	mode     *atomic.Int32
}

// do runs one request through v1 or beta, as a's mode says.
func do[R any](a interface{ pick() (bool, func()) }, v1 func() (R, error), beta func() (R, error)) (R, error) {
	useBeta, fellBack := a.pick()
	if useBeta {
		return beta()
	}
	r, err := v1()
	if Missing(err) && fellBack != nil {
		fellBack()
		return beta()
	}
	return r, err
}

// pick says whether to use beta, and, in Auto mode, how to switch to it.
func (a *auto[T, L]) pick() (bool, func()) {
	switch Mode(a.mode.Load()) {
	case V1beta1:
		return true, nil
	case V1:
		return false, nil
	}
	return false, func() { a.mode.CompareAndSwap(int32(Auto), int32(V1beta1)) }
}

func (a *auto[T, L]) Create(ctx context.Context, o T, opts metav1.CreateOptions) (T, error) {
	return do(a, func() (T, error) { return a.v1.Create(ctx, o, opts) }, func() (T, error) { return a.beta.Create(ctx, o, opts) })
}

func (a *auto[T, L]) Update(ctx context.Context, o T, opts metav1.UpdateOptions) (T, error) {
	return do(a, func() (T, error) { return a.v1.Update(ctx, o, opts) }, func() (T, error) { return a.beta.Update(ctx, o, opts) })
}

func (a *auto[T, L]) UpdateStatus(ctx context.Context, o T, opts metav1.UpdateOptions) (T, error) {
	return do(a, func() (T, error) { return a.v1.UpdateStatus(ctx, o, opts) }, func() (T, error) { return a.beta.UpdateStatus(ctx, o, opts) })
}

func (a *auto[T, L]) Delete(ctx context.Context, name string, opts metav1.DeleteOptions) error {
	_, err := do(a, func() (struct{}, error) { return struct{}{}, a.v1.Delete(ctx, name, opts) }, func() (struct{}, error) { return struct{}{}, a.beta.Delete(ctx, name, opts) })
	return err
}

func (a *auto[T, L]) DeleteCollection(ctx context.Context, opts metav1.DeleteOptions, lo metav1.ListOptions) error {
	_, err := do(a, func() (struct{}, error) { return struct{}{}, a.v1.DeleteCollection(ctx, opts, lo) }, func() (struct{}, error) { return struct{}{}, a.beta.DeleteCollection(ctx, opts, lo) })
	return err
}

func (a *auto[T, L]) Get(ctx context.Context, name string, opts metav1.GetOptions) (T, error) {
	return do(a, func() (T, error) { return a.v1.Get(ctx, name, opts) }, func() (T, error) { return a.beta.Get(ctx, name, opts) })
}

func (a *auto[T, L]) List(ctx context.Context, opts metav1.ListOptions) (L, error) {
	return do(a, func() (L, error) { return a.v1.List(ctx, opts) }, func() (L, error) { return a.beta.List(ctx, opts) })
}

func (a *auto[T, L]) Watch(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
	return do(a, func() (watch.Interface, error) { return a.v1.Watch(ctx, opts) }, func() (watch.Interface, error) { return a.beta.Watch(ctx, opts) })
}

func (a *auto[T, L]) Patch(ctx context.Context, name string, pt types.PatchType, data []byte, opts metav1.PatchOptions, sub ...string) (T, error) {
	return do(a, func() (T, error) { return a.v1.Patch(ctx, name, pt, data, opts, sub...) }, func() (T, error) { return a.beta.Patch(ctx, name, pt, data, opts, sub...) })
}

// bridge serves v1 objects from a v1beta1 client.
type bridge[T1, L1, TB, LB any] struct {
	b      typed[TB, LB]
	up     func(TB) (T1, error)
	down   func(T1) (TB, error)
	upList func(LB) (L1, error)
}

func (b *bridge[T1, L1, TB, LB]) one(o TB, err error) (T1, error) {
	if err != nil {
		var zero T1
		return zero, err
	}
	return b.up(o)
}

func (b *bridge[T1, L1, TB, LB]) Create(ctx context.Context, o T1, opts metav1.CreateOptions) (T1, error) {
	d, err := b.down(o)
	if err != nil {
		var zero T1
		return zero, err
	}
	return b.one(b.b.Create(ctx, d, opts))
}

func (b *bridge[T1, L1, TB, LB]) Update(ctx context.Context, o T1, opts metav1.UpdateOptions) (T1, error) {
	d, err := b.down(o)
	if err != nil {
		var zero T1
		return zero, err
	}
	return b.one(b.b.Update(ctx, d, opts))
}

func (b *bridge[T1, L1, TB, LB]) UpdateStatus(ctx context.Context, o T1, opts metav1.UpdateOptions) (T1, error) {
	d, err := b.down(o)
	if err != nil {
		var zero T1
		return zero, err
	}
	return b.one(b.b.UpdateStatus(ctx, d, opts))
}

func (b *bridge[T1, L1, TB, LB]) Delete(ctx context.Context, name string, opts metav1.DeleteOptions) error {
	return b.b.Delete(ctx, name, opts)
}

func (b *bridge[T1, L1, TB, LB]) DeleteCollection(ctx context.Context, opts metav1.DeleteOptions, lo metav1.ListOptions) error {
	return b.b.DeleteCollection(ctx, opts, lo)
}

func (b *bridge[T1, L1, TB, LB]) Get(ctx context.Context, name string, opts metav1.GetOptions) (T1, error) {
	return b.one(b.b.Get(ctx, name, opts))
}

func (b *bridge[T1, L1, TB, LB]) List(ctx context.Context, opts metav1.ListOptions) (L1, error) {
	l, err := b.b.List(ctx, opts)
	if err != nil {
		var zero L1
		return zero, err
	}
	return b.upList(l)
}

// Watch converts each object event; an object that does not convert is
// passed on as an error event.
func (b *bridge[T1, L1, TB, LB]) Watch(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
	w, err := b.b.Watch(ctx, opts)
	if err != nil {
		return nil, err
	}
	return watch.Filter(w, func(e watch.Event) (watch.Event, bool) {
		if o, ok := e.Object.(TB); ok && e.Type != watch.Error {
			up, err := b.up(o)
			if err != nil {
				return watch.Event{Type: watch.Error, Object: &apierrors.NewInternalError(err).ErrStatus}, true
			}
			e.Object = any(up).(runtime.Object)
		}
		return e, true
	}), nil
}

func (b *bridge[T1, L1, TB, LB]) Patch(ctx context.Context, name string, pt types.PatchType, data []byte, opts metav1.PatchOptions, sub ...string) (T1, error) {
	return b.one(b.b.Patch(ctx, name, pt, data, opts, sub...))
}

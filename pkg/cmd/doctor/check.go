package doctor

import (
	"context"
	"errors"
	"sort"
	"sync"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/discovery"

	"github.com/mlpipe/kubectl-mlpipe/pkg/cmd/util"
	"github.com/mlpipe/kubectl-mlpipe/pkg/compiler"
	checks "github.com/mlpipe/kubectl-mlpipe/pkg/doctor"
)

// CheckCluster runs the checks that need no spec against the cluster the
// clients talk to: is Tekton installed, which release, are its controller
// and webhook available, what its feature flags mean for kubectl-mlpipe,
// and may the user create (and follow) runs in namespace. Reads are issued
// concurrently. A read the user may not make is a warning in the findings;
// err is for a cluster that cannot be reached at all.
func CheckCluster(ctx context.Context, c *util.Clients, namespace string) ([]checks.Finding, error) {
	k := newChecker(c, namespace, checks.TektonNamespace)
	r := k.readCluster(ctx)
	if err := k.err(ctx); err != nil {
		return nil, err
	}
	return r.findings(nil), nil
}

// CheckSpec checks one compiled spec against the cluster before anything
// is written (run --preflight): for every step, whether some node satisfies
// its node selector, required node affinity, tolerations and resource
// requests (GPUs included), with the fix when none does; that the objects
// it names exist (ServiceAccount, Secrets and ConfigMaps read by env or
// volumes and their keys, claims, PriorityClass, RuntimeClass,
// StorageClass); that the namespace exists; and the feature flags that
// would refuse or misplace this pipeline (only the ones that warn or fail).
// Reads are issued concurrently. checks.Blocking(findings) > 0 means the
// run would not work.
func CheckSpec(ctx context.Context, c *util.Clients, namespace string, compiled *compiler.Result) ([]checks.Finding, error) {
	k := newChecker(c, namespace, checks.TektonNamespace)
	s := k.readSpec(ctx, compiled)
	if err := k.err(ctx); err != nil {
		return nil, err
	}
	u := checks.UsageOf(compiled.Model)
	var out []checks.Finding
	for _, f := range checks.CheckFlags(k.tektonNS, s.flags, s.flagsErr, u) {
		if f.Status != checks.OK && f.Check != "feature-flags" {
			out = append(out, f)
		}
	}
	return append(out, s.findings(u, true)...), nil
}

// checker reads what the checks need, each object once, concurrently.
type checker struct {
	c        *util.Clients
	ns       string
	tektonNS string
	now      func() time.Time

	mu    sync.Mutex
	fatal error

	flagsOnce sync.Once
	flags     *corev1.ConfigMap
	flagsErr  error

	nsOnce sync.Once
	nsErr  error
}

func newChecker(c *util.Clients, ns, tektonNS string) *checker {
	return &checker{c: c, ns: ns, tektonNS: tektonNS, now: time.Now}
}

// note keeps an error that is not an answer of the API server (no
// connection, a timeout): then the cluster cannot be checked at all.
// API errors (forbidden, not found) become findings.
func (k *checker) note(err error) error {
	var status apierrors.APIStatus
	if err != nil && !errors.As(err, &status) {
		k.mu.Lock()
		if k.fatal == nil {
			k.fatal = err
		}
		k.mu.Unlock()
	}
	return err
}

func (k *checker) err(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.fatal
}

// namespace reads the run namespace, once.
func (k *checker) namespace(ctx context.Context) error {
	k.nsOnce.Do(func() {
		_, k.nsErr = k.c.Kube.CoreV1().Namespaces().Get(ctx, k.ns, metav1.GetOptions{})
		k.note(k.nsErr)
	})
	return k.nsErr
}

func (k *checker) featureFlags(ctx context.Context) (*corev1.ConfigMap, error) {
	k.flagsOnce.Do(func() {
		k.flags, k.flagsErr = k.c.Kube.CoreV1().ConfigMaps(k.tektonNS).Get(ctx, checks.FlagsConfigMap, metav1.GetOptions{})
		k.note(k.flagsErr)
	})
	return k.flags, k.flagsErr
}

// clusterReads is what the cluster checks read.
type clusterReads struct {
	k        *checker
	apis     checks.APIs
	info     *corev1.ConfigMap
	infoErr  error
	deps     checks.Deployments
	flags    *corev1.ConfigMap
	flagsErr error
	access   []checks.Access
	nsErr    error
}

// readCluster issues the cluster checks' reads at once: discovery of
// tekton.dev/v1 and v1beta1, pipelines-info, feature-flags, the Deployments
// in Tekton's namespace, the namespace, and the access reviews. Only when a
// Deployment is not available are its pods and events read, to say why.
func (k *checker) readCluster(ctx context.Context) *clusterReads {
	r := &clusterReads{k: k, deps: checks.Deployments{Namespace: k.tektonNS}, access: checks.MlpipeAccess(k.ns)}
	var wg sync.WaitGroup
	var v1Err, v1beta1Err error
	wg.Go(func() { r.apis.V1, v1Err = k.serves(ctx, "tekton.dev/v1") })
	wg.Go(func() { r.apis.V1beta1, v1beta1Err = k.serves(ctx, "tekton.dev/v1beta1") })
	wg.Go(func() {
		r.info, r.infoErr = k.c.Kube.CoreV1().ConfigMaps(k.tektonNS).Get(ctx, checks.InfoConfigMap, metav1.GetOptions{})
		k.note(r.infoErr)
	})
	wg.Go(func() { r.flags, r.flagsErr = k.featureFlags(ctx) })
	wg.Go(func() {
		list, err := k.c.Kube.AppsV1().Deployments(k.tektonNS).List(ctx, metav1.ListOptions{})
		if k.note(err) != nil {
			r.deps.Err = err
			return
		}
		r.deps.Items = list.Items
	})
	wg.Go(func() { r.nsErr = k.namespace(ctx) })
	for i := range r.access {
		wg.Go(func() { k.review(ctx, &r.access[i]) })
	}
	wg.Wait()
	if r.apis.Err = v1Err; v1Err == nil && !r.apis.V1 {
		r.apis.Err = v1beta1Err
	}
	if r.deps.Err == nil && checks.NeedsDiagnosis(r.deps.Items) {
		r.deps.Now = k.now()
		wg.Go(func() {
			if pods, err := k.c.Kube.CoreV1().Pods(k.tektonNS).List(ctx, metav1.ListOptions{}); k.note(err) == nil {
				r.deps.Pods = pods.Items
			}
		})
		wg.Go(func() {
			sel := fields.OneTermEqualSelector("type", corev1.EventTypeWarning).String()
			if evs, err := k.c.Kube.CoreV1().Events(k.tektonNS).List(ctx, metav1.ListOptions{FieldSelector: sel}); k.note(err) == nil {
				r.deps.Events = evs.Items
			}
		})
		wg.Wait()
	}
	return r
}

// findings evaluates the cluster reads; u is what the spec needs, if any.
func (r *clusterReads) findings(u *checks.Usage) []checks.Finding {
	out := []checks.Finding{
		checks.CheckAPI(r.apis),
		checks.CheckRelease(r.k.tektonNS, r.info, r.infoErr, r.deps.Items, r.deps.Err),
	}
	out = append(out, checks.CheckDeployments(r.deps)...)
	out = append(out, checks.CheckFlags(r.k.tektonNS, r.flags, r.flagsErr, u)...)
	out = append(out, checks.CheckNamespace(r.k.ns, r.nsErr)...)
	for _, a := range r.access {
		out = append(out, checks.CheckAccess(a))
	}
	return out
}

// serves reports whether the group version serves pipelineruns.
func (k *checker) serves(ctx context.Context, gv string) (bool, error) {
	dc := discovery.ToDiscoveryInterfaceWithContext(k.c.Kube.Discovery())
	list, err := dc.ServerResourcesForGroupVersionWithContext(ctx, gv)
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if k.note(err) != nil {
		return false, err
	}
	for _, res := range list.APIResources {
		if res.Name == "pipelineruns" {
			return true, nil
		}
	}
	return false, nil
}

func (k *checker) review(ctx context.Context, a *checks.Access) {
	ssar := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
		ResourceAttributes: &authorizationv1.ResourceAttributes{
			Namespace: a.Namespace, Verb: a.Verb, Group: a.Group, Resource: a.Resource, Subresource: a.Subresource,
		},
	}}
	got, err := k.c.Kube.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, ssar, metav1.CreateOptions{})
	if k.note(err) != nil {
		a.Err = err
		return
	}
	a.Allowed, a.Reason = got.Status.Allowed, got.Status.Reason
	if got.Status.EvaluationError != "" && !a.Allowed && a.Reason == "" {
		a.Reason = got.Status.EvaluationError
	}
}

// specReads is what the spec checks read.
type specReads struct {
	k        *checker
	res      *compiler.Result
	steps    []checks.StepPod
	refs     []checks.Ref
	got      map[string]checks.Lookup
	rcs      map[string]*nodev1.RuntimeClass
	nodes    []corev1.Node
	nodesErr error
	flags    *corev1.ConfigMap
	flagsErr error
	nsErr    error
}

// readSpec issues the spec checks' reads at once: the nodes, feature-flags,
// the namespace, and every object the spec names (one GET each; one LIST of
// StorageClasses, which also finds the default one).
func (k *checker) readSpec(ctx context.Context, res *compiler.Result) *specReads {
	s := &specReads{
		k: k, res: res,
		steps: checks.StepPods(res.Model, res.PipelineRun),
		refs:  checks.References(res.Model),
		got:   map[string]checks.Lookup{},
		rcs:   map[string]*nodev1.RuntimeClass{},
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	set := func(id string, l checks.Lookup) {
		mu.Lock()
		s.got[id] = l
		mu.Unlock()
	}
	wg.Go(func() {
		// From the API server's watch cache: a node inventory need not be
		// read from etcd.
		list, err := k.c.Kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{ResourceVersion: "0"})
		if k.note(err) != nil {
			s.nodesErr = err
			return
		}
		s.nodes = list.Items
		sort.Slice(s.nodes, func(i, j int) bool { return s.nodes[i].Name < s.nodes[j].Name })
	})
	wg.Go(func() { s.flags, s.flagsErr = k.featureFlags(ctx) })
	wg.Go(func() { s.nsErr = k.namespace(ctx) })
	var classes []checks.Ref
	for _, r := range s.refs {
		if r.Kind == checks.StorageClass {
			classes = append(classes, r)
			continue
		}
		wg.Go(func() {
			l, rc := k.lookup(ctx, r)
			set(r.ID(), l)
			if rc != nil {
				mu.Lock()
				s.rcs[rc.Name] = rc
				mu.Unlock()
			}
		})
	}
	if len(classes) > 0 {
		wg.Go(func() {
			for id, l := range k.storageClasses(ctx, classes) {
				set(id, l)
			}
		})
	}
	wg.Wait()
	return s
}

// lookup reads one referenced object.
func (k *checker) lookup(ctx context.Context, r checks.Ref) (checks.Lookup, *nodev1.RuntimeClass) {
	var (
		l   checks.Lookup
		err error
		rc  *nodev1.RuntimeClass
	)
	get := metav1.GetOptions{}
	core := k.c.Kube.CoreV1()
	switch r.Kind {
	case checks.ServiceAccount:
		_, err = core.ServiceAccounts(k.ns).Get(ctx, r.Name, get)
	case checks.Secret:
		var sec *corev1.Secret
		if sec, err = core.Secrets(k.ns).Get(ctx, r.Name, get); err == nil {
			// Only the key names are kept; values are never looked at.
			for key := range sec.Data {
				l.Keys = append(l.Keys, key)
			}
		}
	case checks.ConfigMap:
		var cm *corev1.ConfigMap
		if cm, err = core.ConfigMaps(k.ns).Get(ctx, r.Name, get); err == nil {
			for key := range cm.Data {
				l.Keys = append(l.Keys, key)
			}
			for key := range cm.BinaryData {
				l.Keys = append(l.Keys, key)
			}
		}
	case checks.PersistentVolumeClaim:
		_, err = core.PersistentVolumeClaims(k.ns).Get(ctx, r.Name, get)
	case checks.PriorityClass:
		if _, err = k.c.Kube.SchedulingV1().PriorityClasses().Get(ctx, r.Name, get); apierrors.IsNotFound(err) {
			if list, lerr := k.c.Kube.SchedulingV1().PriorityClasses().List(ctx, metav1.ListOptions{}); lerr == nil {
				for _, pc := range list.Items {
					l.Existing = append(l.Existing, pc.Name)
				}
			}
		}
	case checks.RuntimeClass:
		if rc, err = k.c.Kube.NodeV1().RuntimeClasses().Get(ctx, r.Name, get); apierrors.IsNotFound(err) {
			rc = nil
			if list, lerr := k.c.Kube.NodeV1().RuntimeClasses().List(ctx, metav1.ListOptions{}); lerr == nil {
				for _, x := range list.Items {
					l.Existing = append(l.Existing, x.Name)
				}
			}
		} else if err != nil {
			rc = nil
		}
	}
	sort.Strings(l.Keys)
	sort.Strings(l.Existing)
	switch {
	case err == nil:
		l.Found = true
	case apierrors.IsNotFound(err):
	default:
		l.Err = k.note(err)
	}
	return l, rc
}

// storageClasses lists the StorageClasses once and answers every
// StorageClass ref from the list (the unnamed one: the default class).
func (k *checker) storageClasses(ctx context.Context, refs []checks.Ref) map[string]checks.Lookup {
	out := map[string]checks.Lookup{}
	list, err := k.c.Kube.StorageV1().StorageClasses().List(ctx, metav1.ListOptions{})
	if k.note(err) != nil {
		for _, r := range refs {
			out[r.ID()] = checks.Lookup{Err: err}
		}
		return out
	}
	var all []string
	def := ""
	for _, sc := range list.Items {
		all = append(all, sc.Name)
		if def == "" && (sc.Annotations["storageclass.kubernetes.io/is-default-class"] == "true" || sc.Annotations["storageclass.beta.kubernetes.io/is-default-class"] == "true") {
			def = sc.Name
		}
	}
	sort.Strings(all)
	for _, r := range refs {
		l := checks.Lookup{Existing: all}
		if r.Name == "" {
			l.Found, l.Name = def != "", def
		} else {
			for _, n := range all {
				l.Found = l.Found || n == r.Name
			}
		}
		out[r.ID()] = l
	}
	return out
}

// findings evaluates the spec reads (feature flags aside: the caller says
// how they are reported); withNamespace adds the namespace check.
func (s *specReads) findings(u *checks.Usage, withNamespace bool) []checks.Finding {
	var out []checks.Finding
	if withNamespace {
		out = append(out, checks.CheckNamespace(s.k.ns, s.nsErr)...)
	}
	out = append(out, checks.CheckReferences(s.k.ns, s.refs, s.got)...)
	var data map[string]string
	if s.flags != nil && s.flagsErr == nil {
		data = s.flags.Data
	}
	oneNode, why := checks.ParseFlags(data).OneNode(u)
	out = append(out, checks.CheckPlacement(checks.Placement{
		Steps: s.steps, Nodes: s.nodes, NodesErr: s.nodesErr, RuntimeClasses: s.rcs,
		OneNode: oneNode, OneNodeWhy: why,
	})...)
	return out
}

// startCluster starts the cluster checks' reads in the background (they
// need no spec, so they overlap reading and compiling it); the function
// returned waits for them.
func (k *checker) startCluster(ctx context.Context) func() *clusterReads {
	done := make(chan *clusterReads, 1)
	go func() { done <- k.readCluster(ctx) }()
	return func() *clusterReads { return <-done }
}

// check waits for the cluster reads, reads what the compiled spec needs
// (when there is one) meanwhile, and evaluates everything: the cluster's
// findings, then the spec's.
func (k *checker) check(ctx context.Context, cluster func() *clusterReads, res *compiler.Result) ([]checks.Finding, error) {
	var sr *specReads
	if res != nil {
		sr = k.readSpec(ctx, res)
	}
	cr := cluster()
	if err := k.err(ctx); err != nil {
		return nil, err
	}
	if res == nil {
		return cr.findings(nil), nil
	}
	u := checks.UsageOf(res.Model)
	return append(cr.findings(u), sr.findings(u, false)...), nil
}

package doctor

import (
	"fmt"
	"sort"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Names of what a Tekton Pipelines release installs, as its config/ YAML has them.
const (
	TektonNamespace = "tekton-pipelines"
	InfoConfigMap   = "pipelines-info"
	FlagsConfigMap  = "feature-flags"
	Controller      = "tekton-pipelines-controller"
	Webhook         = "tekton-pipelines-webhook"
	// LabelVersion and LabelRelease are the version labels on the release's Deployments.
	LabelVersion = "app.kubernetes.io/version"
	LabelRelease = "pipeline.tekton.dev/release"
	// EventWindow is how far back an event still counts as recent.
	EventWindow = time.Hour
)

const installDocs = "https://tekton.dev/docs/installation/pipelines/"

// APIs is what discovery says about tekton.dev: which versions serve pipelineruns.
type APIs struct {
	V1, V1beta1 bool
	// Err is a discovery failure other than "not found".
	Err error
}

// CheckAPI says whether Tekton is installed, and which API version runs are sent as.
func CheckAPI(a APIs) Finding {
	f := Finding{Check: "tekton-api"}
	switch {
	case a.V1:
		f.Status, f.Message = OK, "Tekton Pipelines is installed: tekton.dev/v1 serves pipelineruns"
		if a.V1beta1 {
			f.Message += " (v1beta1 too)"
		}
	case a.Err != nil:
		f.Status, f.Message = Warn, "cannot tell whether Tekton Pipelines is installed: "+a.Err.Error()
	case a.V1beta1:
		f.Status = OK
		f.Message = "Tekton Pipelines is installed: tekton.dev/v1beta1 serves pipelineruns (not v1: a release before v0.44); runs are sent as v1beta1, converted with Tekton's own code"
	default:
		f.Status = Fail
		f.Message = "Tekton Pipelines is not installed: no tekton.dev API serves pipelineruns"
		f.Fix = "install it (" + installDocs + "), or pick another context with --context"
	}
	return f
}

// CheckRelease says which Tekton release runs and where that was read: the
// ConfigMap pipelines-info (key version), else the version labels of the
// controller's Deployment. Unknown is a warning, not a failure.
func CheckRelease(ns string, info *corev1.ConfigMap, infoErr error, deps []appsv1.Deployment, depsErr error) Finding {
	f := Finding{Check: "tekton-release"}
	if info != nil && usable(info.Data["version"]) {
		f.Status = OK
		f.Message = fmt.Sprintf("Tekton release %s (ConfigMap %s/%s, key version)", info.Data["version"], ns, InfoConfigMap)
		return f
	}
	why := fmt.Sprintf("ConfigMap %s/%s has no version", ns, InfoConfigMap)
	switch {
	case apierrors.IsNotFound(infoErr):
		why = fmt.Sprintf("no ConfigMap %s/%s", ns, InfoConfigMap)
	case infoErr != nil:
		why = fmt.Sprintf("cannot read ConfigMap %s/%s: %v", ns, InfoConfigMap, infoErr)
	}
	if d := find(deps, Controller); d != nil {
		for _, l := range []string{LabelVersion, LabelRelease} {
			if v := d.Labels[l]; usable(v) {
				f.Status = OK
				f.Message = fmt.Sprintf("Tekton release %s (label %s of Deployment %s/%s; %s)", v, l, ns, Controller, why)
				return f
			}
		}
	}
	f.Status = Warn
	if depsErr != nil {
		f.Message = fmt.Sprintf("Tekton release unknown: %s, and the Deployments in %s cannot be read either", why, ns)
		return f
	}
	f.Message = fmt.Sprintf("Tekton release unknown: %s, and no Deployment %s/%s with an %s or %s label", why, ns, Controller, LabelVersion, LabelRelease)
	return f
}

func usable(v string) bool { return v != "" && v != "devel" }

func find(deps []appsv1.Deployment, name string) *appsv1.Deployment {
	for i := range deps {
		if deps[i].Name == name {
			return &deps[i]
		}
	}
	return nil
}

// Available reports whether the Deployment has a replica serving.
func Available(d *appsv1.Deployment) bool { return d.Status.AvailableReplicas > 0 }

// NeedsDiagnosis reports whether one of Tekton's Deployments is present and
// not available: then its pods and events are worth reading, to say why.
func NeedsDiagnosis(deps []appsv1.Deployment) bool {
	for _, name := range []string{Controller, Webhook} {
		if d := find(deps, name); d != nil && !Available(d) && !scaledToZero(d) {
			return true
		}
	}
	return false
}

func scaledToZero(d *appsv1.Deployment) bool { return d.Spec.Replicas != nil && *d.Spec.Replicas == 0 }

// Deployments is what was read in Tekton's namespace to judge its Deployments.
type Deployments struct {
	Namespace string
	Items     []appsv1.Deployment
	Err       error
	// Pods and Events are read only when NeedsDiagnosis says so.
	Pods   []corev1.Pod
	Events []corev1.Event
	Now    time.Time
}

// CheckDeployments checks the controller and the webhook: each must have a
// replica available. When one has none it says why, from its pods'
// conditions and the namespace's recent warning events, and what to do.
func CheckDeployments(in Deployments) []Finding {
	return []Finding{
		in.check(Controller, "controller", "no PipelineRun will start or make progress"),
		in.check(Webhook, "webhook", "PipelineRuns cannot be created: the API server calls the webhook to validate them"),
	}
}

func (in Deployments) check(name, role, impact string) Finding {
	f := Finding{Check: "tekton-" + role}
	ns := in.Namespace
	what := fmt.Sprintf("Tekton %s (Deployment %s/%s)", role, ns, name)
	if in.Err != nil {
		f.Status, f.Message = Warn, fmt.Sprintf("cannot check the Tekton %s: %v", role, in.Err)
		return f
	}
	d := find(in.Items, name)
	if d == nil {
		f.Status = Warn
		f.Message = fmt.Sprintf("no Deployment %s in namespace %s: cannot tell whether the Tekton %s runs (an operator may install it elsewhere; --tekton-namespace picks the namespace)", name, ns, role)
		return f
	}
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	scale := fmt.Sprintf("kubectl -n %s scale deployment/%s --replicas=1", ns, name)
	switch {
	case scaledToZero(d):
		f.Status = Fail
		f.Message = fmt.Sprintf("%s is scaled to zero: %s", what, impact)
		f.Fix = "scale it up: " + scale
		return f
	case Available(d):
		f.Status = OK
		f.Message = fmt.Sprintf("%s is available (%d/%d ready)", what, d.Status.AvailableReplicas, want)
		return f
	}
	f.Status = Fail
	why, fix := in.diagnose(d)
	f.Message = fmt.Sprintf("%s is not available (0/%d ready): %s; %s", what, want, impact, why)
	f.Fix = fix
	return f
}

// diagnose says why a Deployment has no available replica, and what to do.
func (in Deployments) diagnose(d *appsv1.Deployment) (why, fix string) {
	ns := in.Namespace
	describe := fmt.Sprintf("kubectl -n %s describe deployment/%s", ns, d.Name)
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	var pods []*corev1.Pod
	if err == nil {
		for i := range in.Pods {
			p := &in.Pods[i]
			if p.DeletionTimestamp == nil && sel.Matches(labels.Set(p.Labels)) {
				pods = append(pods, p)
			}
		}
	}
	sort.Slice(pods, func(i, j int) bool { return pods[i].Name < pods[j].Name })
	for _, p := range pods {
		if why, fix := podTrouble(ns, d.Name, p); why != "" {
			return why, fix
		}
	}
	if ev := in.lastWarning(d.Name); ev != nil {
		msg := strings.TrimSpace(strings.TrimPrefix(ev.Message, "(combined from similar events): "))
		why = fmt.Sprintf("event %s on %s %s: %s", ev.Reason, strings.ToLower(ev.InvolvedObject.Kind), ev.InvolvedObject.Name, msg)
		fix = describe
		switch {
		case strings.Contains(msg, "violates PodSecurity"):
			fix = fmt.Sprintf("give the pod template the securityContext the namespace's Pod Security level asks for (kubectl -n %s edit deployment/%s), or relax the namespace's pod-security.kubernetes.io/enforce label", ns, d.Name)
		case strings.Contains(msg, "exceeded quota"):
			fix = fmt.Sprintf("raise the ResourceQuota of namespace %s, or lower the Deployment's requests (kubectl -n %s describe quota)", ns, ns)
		case strings.Contains(msg, "serviceaccount") || strings.Contains(msg, "service account"):
			fix = fmt.Sprintf("create the ServiceAccount the Deployment names in namespace %s (the release's config/200-serviceaccount.yaml has it)", ns)
		}
		if len(pods) == 0 {
			return "no pod: " + why, fix
		}
		return why, fix
	}
	if len(pods) == 0 {
		return "it has no pod and no recent event says why (is the controller-manager's ReplicaSet controller running?)", describe
	}
	return fmt.Sprintf("pod %s is not ready", pods[0].Name), fmt.Sprintf("kubectl -n %s describe pod %s", ns, pods[0].Name)
}

// podTrouble reads why a pod does not serve: not scheduled, a container
// waiting (image pull, crash loop, bad config) or not ready.
func podTrouble(ns, deploy string, p *corev1.Pod) (why, fix string) {
	describePod := fmt.Sprintf("kubectl -n %s describe pod %s", ns, p.Name)
	edit := fmt.Sprintf("kubectl -n %s edit deployment/%s", ns, deploy)
	for _, c := range p.Status.Conditions {
		if c.Type != corev1.PodScheduled || c.Status != corev1.ConditionFalse {
			continue
		}
		msg := strings.TrimSpace(c.Message)
		// The scheduler's first sentence counts the reasons; the rest is about preemption.
		if i := strings.Index(msg, ". "); i > 0 {
			msg = msg[:i]
		}
		why = fmt.Sprintf("pod %s: PodScheduled=False %s: %s", p.Name, c.Reason, msg)
		var hints []string
		if strings.Contains(msg, "node affinity/selector") {
			hints = append(hints, "label a node to match the pod's node selector/affinity, or change them")
		}
		if strings.Contains(msg, "untolerated taint") {
			hints = append(hints, "add nodes without those taints, or give the pod template tolerations for them")
		}
		if strings.Contains(msg, "Insufficient") {
			hints = append(hints, "add nodes, or free capacity, for the pod's requests")
		}
		if len(hints) == 0 {
			hints = append(hints, "add nodes the pod can be scheduled on")
		}
		fix = strings.Join(hints, "; or ") + " (" + edit + "; " + describePod + ")"
		return why, fix
	}
	for _, cs := range append(append([]corev1.ContainerStatus{}, p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...) {
		if w := cs.State.Waiting; w != nil && w.Reason != "" && w.Reason != "ContainerCreating" && w.Reason != "PodInitializing" {
			why = fmt.Sprintf("pod %s: container %s is waiting: %s", p.Name, cs.Name, w.Reason)
			if m := strings.TrimSpace(w.Message); m != "" {
				why += ": " + m
			}
			switch w.Reason {
			case "ImagePullBackOff", "ErrImagePull", "InvalidImageName":
				fix = "the node cannot pull the image: check its name and the node's access to the registry (" + describePod + ")"
			case "CrashLoopBackOff":
				fix = fmt.Sprintf("see why it exits: kubectl -n %s logs %s -c %s --previous", ns, p.Name, cs.Name)
			default:
				fix = describePod
			}
			return why, fix
		}
	}
	return "", ""
}

// lastWarning is the newest recent warning event about the Deployment, its
// ReplicaSets or its pods (their names start with the Deployment's).
func (in Deployments) lastWarning(deploy string) *corev1.Event {
	var best *corev1.Event
	var bestAt time.Time
	for i := range in.Events {
		ev := &in.Events[i]
		if ev.Type != corev1.EventTypeWarning || !strings.HasPrefix(ev.InvolvedObject.Name, deploy) {
			continue
		}
		at := eventTime(ev)
		if !in.Now.IsZero() && in.Now.Sub(at) > EventWindow {
			continue
		}
		if best == nil || at.After(bestAt) {
			best, bestAt = ev, at
		}
	}
	return best
}

func eventTime(ev *corev1.Event) time.Time {
	switch {
	case !ev.LastTimestamp.IsZero():
		return ev.LastTimestamp.Time
	case !ev.EventTime.IsZero():
		return ev.EventTime.Time
	}
	return ev.CreationTimestamp.Time
}

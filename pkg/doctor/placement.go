package doctor

import (
	"fmt"
	"sort"
	"strings"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/labels"
	resourcehelper "k8s.io/component-helpers/resource"
	schedcorev1 "k8s.io/component-helpers/scheduling/corev1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"

	"github.com/mlpipe/kubectl-mlpipe/pkg/model"
)

// Placement is what the placement check reads.
type Placement struct {
	Steps []StepPod
	Nodes []corev1.Node
	// NodesErr is why the nodes could not be listed (e.g. forbidden).
	NodesErr error
	// RuntimeClasses are the RuntimeClasses the steps name that exist: their
	// scheduling (node selector, tolerations) and overhead apply to the pods.
	RuntimeClasses map[string]*nodev1.RuntimeClass
	// OneNode says every step must run on one node, and OneNodeWhy why
	// (Tekton's affinity assistant; see Flags.OneNode).
	OneNode    bool
	OneNodeWhy string
}

// The scheduler's filters, in the order it runs them; a node that fails one
// is counted under the first it fails, as the scheduler's message does.
const (
	byUnschedulable = iota
	byTaint
	bySelector
	byAffinity
	byResources
)

// reason is one way a node does not fit a pod.
type reason struct {
	filter int
	// key groups reasons that one fix removes: the taint, the selector keys,
	// the resource name.
	key  string
	text string

	taint    corev1.Taint
	selector []string // the selector keys the node does not match
	resource corev1.ResourceName
}

// CheckPlacement says, for every step, whether at least one node passes the
// scheduler's filters for its pod: node selector and required node affinity
// (GetRequiredNodeAffinity), NoSchedule/NoExecute taints against its
// tolerations (FindMatchingUntoleratedTaint), cordoned nodes, and its
// requests (PodRequests, GPUs included) against each node's allocatable.
// It compares with allocatable, not with what other pods use right now.
// When no node fits it counts the reasons as the scheduler does and gives
// the fix that makes the closest nodes fit, naming the spec field to change.
func CheckPlacement(in Placement) []Finding {
	if in.NodesErr != nil {
		f := Finding{Check: "placement", Status: Warn, Message: "cannot check placement: " + in.NodesErr.Error()}
		if strings.Contains(in.NodesErr.Error(), "forbidden") {
			f.Fix = "ask for \"list\" on nodes (a ClusterRole), or run kubectl mlpipe doctor as someone who has it"
		}
		return []Finding{f}
	}
	var out []Finding
	fits := map[string][]string{}
	for _, sp := range in.Steps {
		f, fit := in.checkStep(sp)
		out = append(out, f)
		fits[sp.Step] = fit
	}
	if in.OneNode && len(in.Steps) > 1 {
		out = append(out, in.oneNode(fits))
	}
	return out
}

func (in Placement) checkStep(sp StepPod) (Finding, []string) {
	f := Finding{Check: "placement", Step: sp.Step}
	if sp.Model != nil {
		f.Field = sp.Model.Path.String()
	}
	p, fromRC := in.effectivePod(sp.Pod)
	req := resourcehelper.PodRequests(p, resourcehelper.PodResourcesOptions{})
	var fit []string
	failing := map[string][]reason{}
	for i := range in.Nodes {
		n := &in.Nodes[i]
		if rs := nodeReasons(p, req, n); len(rs) > 0 {
			failing[n.Name] = rs
		} else {
			fit = append(fit, n.Name)
		}
	}
	sort.Strings(fit)
	total := len(in.Nodes)
	if len(fit) > 0 {
		f.Status = OK
		f.Message = fmt.Sprintf("step %s: %d/%d nodes fit (%s)", sp.Step, len(fit), total, names(fit, 3))
		return f, fit
	}
	f.Status = Fail
	if total == 0 {
		f.Message = fmt.Sprintf("step %s: 0/0 nodes fit: the cluster has no nodes", sp.Step)
		f.Fix = "add nodes to the cluster"
		return f, nil
	}
	f.Message = fmt.Sprintf("step %s: 0/%d nodes fit: %s", sp.Step, total, summarize(failing))
	f.Fix = in.fix(sp, p, req, failing, fromRC)
	return f, nil
}

// effectivePod applies the pod's RuntimeClass as its admission plugin does:
// its scheduling node selector and tolerations, and its pod overhead. It
// also returns the selector keys that came from the RuntimeClass.
func (in Placement) effectivePod(p *corev1.Pod) (*corev1.Pod, map[string]string) {
	if p.Spec.RuntimeClassName == nil {
		return p, nil
	}
	rc := in.RuntimeClasses[*p.Spec.RuntimeClassName]
	if rc == nil {
		return p, nil
	}
	p = p.DeepCopy()
	fromRC := map[string]string{}
	if s := rc.Scheduling; s != nil {
		for k, v := range s.NodeSelector {
			if _, ok := p.Spec.NodeSelector[k]; ok {
				continue
			}
			if p.Spec.NodeSelector == nil {
				p.Spec.NodeSelector = map[string]string{}
			}
			p.Spec.NodeSelector[k] = v
			fromRC[k] = rc.Name
		}
		p.Spec.Tolerations = append(p.Spec.Tolerations, s.Tolerations...)
	}
	if rc.Overhead != nil {
		p.Spec.Overhead = rc.Overhead.PodFixed
	}
	return p, fromRC
}

// nodeReasons lists every way the node fails the pod, in the scheduler's
// filter order (empty: it fits).
func nodeReasons(p *corev1.Pod, req corev1.ResourceList, n *corev1.Node) []reason {
	var rs []reason
	if n.Spec.Unschedulable && !schedcorev1.TolerationsTolerateTaint(logr.Discard(), p.Spec.Tolerations, &corev1.Taint{Key: corev1.TaintNodeUnschedulable, Effect: corev1.TaintEffectNoSchedule}, false) {
		rs = append(rs, reason{filter: byUnschedulable, key: "unschedulable", text: "node(s) were unschedulable"})
	}
	hard := func(t *corev1.Taint) bool {
		return t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute
	}
	// The first untolerated taint is the scheduler's reason; the others are
	// needed for a fix that works.
	if _, untolerated := schedcorev1.FindMatchingUntoleratedTaint(logr.Discard(), n.Spec.Taints, p.Spec.Tolerations, hard, false); untolerated {
		for _, t := range n.Spec.Taints {
			if hard(&t) && !schedcorev1.TolerationsTolerateTaint(logr.Discard(), p.Spec.Tolerations, &t, false) {
				rs = append(rs, reason{filter: byTaint, key: "taint " + taintString(t), text: "node(s) had untolerated taint " + taintString(t), taint: t})
			}
		}
	}
	if ok, err := nodeaffinity.GetRequiredNodeAffinity(p).Match(n); err != nil || !ok {
		var miss []string
		for _, k := range sortedKeys(p.Spec.NodeSelector) {
			if v, has := n.Labels[k]; !has || v != p.Spec.NodeSelector[k] {
				miss = append(miss, k)
			}
		}
		if len(miss) > 0 {
			rs = append(rs, reason{filter: bySelector, key: "selector " + strings.Join(miss, ","), text: "node(s) didn't match selector " + selectorString(p.Spec.NodeSelector), selector: miss})
		}
		if ok, err := nodeaffinity.NewRequiredNodeAffinity(nil, p.Spec.Affinity).Match(n); err != nil || !ok {
			text := "node(s) didn't match the step's required node affinity"
			if err != nil {
				text = "the step's required node affinity is invalid: " + err.Error()
			}
			rs = append(rs, reason{filter: byAffinity, key: "affinity", text: text})
		}
	}
	for _, name := range sortedKeys(req) {
		rn := corev1.ResourceName(name)
		q := req[rn]
		if q.IsZero() || rn == corev1.ResourcePods {
			continue
		}
		alloc, ok := n.Status.Allocatable[rn]
		if !ok || alloc.Cmp(q) < 0 {
			rs = append(rs, reason{filter: byResources, key: "resource " + name, text: "Insufficient " + name, resource: rn})
		}
	}
	return rs
}

// summarize counts each node under the first filter it fails (all its
// resource shortfalls, or its first untolerated taint), as the scheduler's
// "0/N nodes are available" message does.
func summarize(failing map[string][]reason) string {
	counts := map[string]int{}
	for _, rs := range failing {
		first := rs[0].filter
		for _, r := range rs {
			if r.filter != first {
				break
			}
			counts[r.text]++
			if r.filter != byResources {
				break
			}
		}
	}
	parts := make([]string, 0, len(counts))
	for _, text := range sortedKeys(counts) {
		parts = append(parts, fmt.Sprintf("%d %s", counts[text], text))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// fix picks the nodes that fail the fewest filters (the largest group of
// them failing the same way), and says what would make those fit.
func (in Placement) fix(sp StepPod, p *corev1.Pod, req corev1.ResourceList, failing map[string][]reason, fromRC map[string]string) string {
	// The nodes that match the step's selector and affinity are the ones
	// its author meant; look among them first.
	candidates := map[string][]reason{}
	for name, rs := range failing {
		placed := true
		for _, r := range rs {
			placed = placed && r.filter != bySelector && r.filter != byAffinity
		}
		if placed {
			candidates[name] = rs
		}
	}
	if len(candidates) == 0 {
		candidates = failing
	}
	least := -1
	for _, rs := range candidates {
		if least < 0 || len(rs) < least {
			least = len(rs)
		}
	}
	groups := map[string][]string{}
	for name, rs := range candidates {
		if len(rs) != least {
			continue
		}
		keys := make([]string, len(rs))
		for i, r := range rs {
			keys[i] = r.key
		}
		sig := strings.Join(keys, "\x00")
		groups[sig] = append(groups[sig], name)
	}
	var best string
	for _, sig := range sortedKeys(groups) {
		sort.Strings(groups[sig])
		if best == "" || len(groups[sig]) > len(groups[best]) {
			best = sig
		}
	}
	nodes := groups[best]
	byName := map[string]*corev1.Node{}
	for i := range in.Nodes {
		byName[in.Nodes[i].Name] = &in.Nodes[i]
	}
	var fixes []string
	for _, r := range failing[nodes[0]] {
		fixes = append(fixes, in.fixFor(r, sp, p, req, nodes, byName, fromRC))
	}
	return strings.Join(fixes, "; and ") + fmt.Sprintf(" (then %s would fit)", names(nodes, 3))
}

func (in Placement) fixFor(r reason, sp StepPod, p *corev1.Pod, req corev1.ResourceList, nodes []string, byName map[string]*corev1.Node, fromRC map[string]string) string {
	var set *model.Resolved
	stepPath := "spec.steps[]"
	if sp.Model != nil {
		set = &sp.Model.Settings
		stepPath = sp.Model.Path.String()
	}
	switch r.filter {
	case byUnschedulable:
		return "the node(s) are cordoned: kubectl uncordon " + strings.Join(nodes, " ")
	case byTaint:
		t := r.taint
		tol := fmt.Sprintf("{key: %s, operator: Exists, effect: %s}", t.Key, t.Effect)
		if t.Value != "" {
			tol = fmt.Sprintf("{key: %s, operator: Equal, value: %s, effect: %s}", t.Key, t.Value, t.Effect)
		}
		s := fmt.Sprintf("add the toleration %s under %s.settings.pod.tolerations", tol, stepPath)
		if set != nil && set.WantsGPU() && t.Key == set.GPUResourceName() && set.GPUToleration.Set && !set.GPUToleration.V {
			s += fmt.Sprintf(" (pod.gpuToleration: false, at %s, turned the automatic one off)", set.GPUToleration.From)
		}
		return s
	case bySelector:
		var parts []string
		for _, k := range r.selector {
			want := p.Spec.NodeSelector[k]
			where := "nodeSelector[" + k + "]"
			if rc, ok := fromRC[k]; ok {
				where = fmt.Sprintf("the RuntimeClass %s's scheduling.nodeSelector[%s]", rc, k)
			} else if set != nil {
				for _, e := range set.NodeSelector {
					if e.Key == k {
						where = e.From
					}
				}
			}
			values := map[string][]string{}
			for _, n := range nodes {
				v := byName[n].Labels[k]
				values[v] = append(values[v], n)
			}
			inCluster := map[string]bool{}
			for i := range in.Nodes {
				if v, ok := in.Nodes[i].Labels[k]; ok {
					inCluster[v] = true
				}
			}
			switch _, none := values[""]; {
			case none && len(values) == 1:
				s := fmt.Sprintf("remove %s (%s=%s)", where, k, want)
				if len(inCluster) > 0 {
					s += fmt.Sprintf(" or set it to a value nodes have (%s: %s)", k, names(sortedKeys(inCluster), 6))
				}
				parts = append(parts, s+fmt.Sprintf(", or label a node: kubectl label node %s %s=%s", nodes[0], k, want))
			case len(values) == 1:
				for v := range values {
					parts = append(parts, fmt.Sprintf("change %s from %s=%s to %s=%s, the value those nodes have", where, k, want, k, v))
				}
			default:
				parts = append(parts, fmt.Sprintf("change %s (%s=%s) to a value those nodes have (%s: %s)", where, k, want, k, names(sortedKeys(values), 6)))
			}
		}
		return strings.Join(parts, "; ")
	case byAffinity:
		where := stepPath + ".settings.pod.affinity"
		if set != nil && set.Affinity.Set {
			where = set.Affinity.From
		}
		return "change the required node affinity at " + where
	case byResources:
		return resourceFix(r.resource, req[r.resource], set, nodes, byName)
	}
	return ""
}

// resourceFix says which field asks for the resource and how much the
// closest nodes offer.
func resourceFix(rn corev1.ResourceName, q resource.Quantity, set *model.Resolved, nodes []string, byName map[string]*corev1.Node) string {
	where := fmt.Sprintf("the %s request", rn)
	if set != nil {
		var v model.Value[string]
		switch rn {
		case corev1.ResourceCPU:
			v = set.CPU
		case corev1.ResourceMemory:
			v = set.Memory
			if !v.Set {
				v = set.LimitMemory
			}
		case corev1.ResourceEphemeralStorage:
			v = set.EphemeralStorage
			if !v.Set {
				v = set.LimitEphemeralStorage
			}
		}
		if v.Set {
			where = v.From
		}
		if set.WantsGPU() && string(rn) == set.GPUResourceName() {
			where = set.GPU.From
		}
	}
	var most resource.Quantity
	mostOn := ""
	for _, n := range nodes {
		if a, ok := byName[n].Status.Allocatable[rn]; ok && (mostOn == "" || a.Cmp(most) > 0) {
			most, mostOn = a.DeepCopy(), n
		}
	}
	if mostOn == "" || most.IsZero() {
		return fmt.Sprintf("no node offers %s: remove %s (%s), or add nodes with %s %s", rn, where, q.String(), q.String(), rn)
	}
	return fmt.Sprintf("lower %s (%s) to at most %s, what %s offers, or add nodes with %s %s", where, q.String(), most.String(), mostOn, q.String(), rn)
}

// oneNode checks that one node fits every step, when Tekton puts them all on one.
func (in Placement) oneNode(fits map[string][]string) Finding {
	f := Finding{Check: "coschedule"}
	common := map[string]bool{}
	for i, sp := range in.Steps {
		next := map[string]bool{}
		for _, n := range fits[sp.Step] {
			if i == 0 || common[n] {
				next[n] = true
			}
		}
		common = next
	}
	if len(common) > 0 {
		f.Status = OK
		f.Message = fmt.Sprintf("one node must run every step (%s): %s fit(s) them all", in.OneNodeWhy, names(sortedKeys(common), 3))
		return f
	}
	var each []string
	for _, sp := range in.Steps {
		where := "no node"
		if len(fits[sp.Step]) > 0 {
			where = names(fits[sp.Step], 2)
		}
		each = append(each, sp.Step+" fits "+where)
	}
	f.Status = Fail
	f.Message = fmt.Sprintf("one node must run every step (%s), but none fits them all: %s", in.OneNodeWhy, strings.Join(each, "; "))
	f.Fix = "pass data between steps through spec.artifactStore instead of spec.workspace (or use ReadWriteMany storage on a cluster with coschedule: disabled)"
	if !strings.Contains(in.OneNodeWhy, "workspace") {
		f.Fix = "ask for coschedule: workspaces (Tekton's default) in Tekton's feature-flags ConfigMap, or give the steps placements one node can satisfy"
	}
	f.Field = "spec.workspace"
	return f
}

func taintString(t corev1.Taint) string {
	if t.Value == "" {
		return fmt.Sprintf("%s:%s", t.Key, t.Effect)
	}
	return fmt.Sprintf("%s=%s:%s", t.Key, t.Value, t.Effect)
}

func selectorString(sel map[string]string) string {
	return labels.SelectorFromSet(sel).String()
}

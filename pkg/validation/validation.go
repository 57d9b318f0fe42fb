// Package validation checks a loaded spec against SPEC.md before any
// cluster is contacted. It reports every problem it finds, each with the
// field path that pkg/spec maps back to a line and column.
package validation

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metavalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/sets"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/mlpipe/kubectl-mlpipe/pkg/budget"
	"github.com/mlpipe/kubectl-mlpipe/pkg/dag"
	"github.com/mlpipe/kubectl-mlpipe/pkg/model"
	"github.com/mlpipe/kubectl-mlpipe/pkg/refs"
	"github.com/mlpipe/kubectl-mlpipe/pkg/spec"
)

// Result holds every error and warning found in one spec.
type Result struct {
	Errors   field.ErrorList
	Warnings field.ErrorList
}

// MaxNameLength leaves room for the run's "-xxxxx" suffix inside the
// 63 characters Tekton allows in the tekton.dev/pipelineRun label.
const MaxNameLength = 63 - 6

// Labels the tool sets itself; a spec may not set them.
var reservedLabels = sets.New("mlpipe.dev/pipeline", "mlpipe.dev/step", "app.kubernetes.io/managed-by")

var paramNameRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*$`)
var outputNameRe = regexp.MustCompile(`^[A-Za-z0-9]([-A-Za-z0-9_]*[A-Za-z0-9])?$`)

type validator struct {
	p        *spec.Pipeline
	errs     field.ErrorList
	warns    field.ErrorList
	params   sets.Set[string]
	steps    map[string]*spec.Step // every step, DAG and finally
	finally  sets.Set[string]
	timeout  time.Duration
	profiles sets.Set[string]
	used     sets.Set[string] // profiles some step uses
	// merges holds each step's merged settings: references, cycles and the
	// merged-settings checks all read them, and merging is the costly part.
	merges map[*spec.Step]*model.Resolved
}

// merge is model.Merge of s's levels, once per step.
func (v *validator) merge(s *spec.Step, p *field.Path) *model.Resolved {
	if r, ok := v.merges[s]; ok {
		return r
	}
	r := model.Merge(model.StepLevels(v.p, s, p)...)
	v.merges[s] = &r
	return &r
}

// Validate checks p and returns all of its problems.
func Validate(p *spec.Pipeline) Result {
	v := &validator{p: p, params: sets.New[string](), steps: map[string]*spec.Step{}, finally: sets.New[string](), profiles: sets.New[string](), used: sets.New[string](), merges: map[*spec.Step]*model.Resolved{}}
	v.header()
	root := field.NewPath("spec")
	s := &p.Spec
	v.imagePullSecrets(s.ImagePullSecrets, root.Child("imagePullSecrets"))
	if s.ServiceAccountName != "" {
		v.subdomain(s.ServiceAccountName, root.Child("serviceAccountName"))
		if st := s.Settings; st != nil && st.Pod != nil && st.Pod.ServiceAccountName != "" {
			v.errs = append(v.errs, field.Invalid(root.Child("settings", "pod", "serviceAccountName"), st.Pod.ServiceAccountName,
				"spec.serviceAccountName is set too: set the pipeline's ServiceAccount once (pod.serviceAccountName is for profiles and steps that run as another)"))
		}
	}
	v.paramDecls(s.Params, root.Child("params"))
	v.env(s.Env, root.Child("env"))
	v.artifactStore(s.ArtifactStore, root.Child("artifactStore"))
	v.workspace(s.Workspace, root.Child("workspace"))
	if s.Timeout != "" {
		v.timeout = v.duration(s.Timeout, root.Child("timeout"))
	}
	v.settings(s.Settings, root.Child("settings"))
	v.cache(s.Cache, root.Child("cache"))
	names := make([]string, 0, len(s.Profiles))
	for name := range s.Profiles {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		prof := s.Profiles[name]
		pp := root.Child("profiles").Key(name)
		for _, msg := range dnsLabelErrors(name) {
			v.errs = append(v.errs, field.Invalid(pp, name, "profile names must be DNS-1123 labels: "+msg))
		}
		v.profiles.Insert(name)
		v.settings(&prof, pp)
	}
	v.stepNames()
	if len(s.Steps) == 0 {
		v.errs = append(v.errs, field.Required(root.Child("steps"), "a pipeline needs at least one step"))
	}
	for i := range s.Steps {
		v.step(&s.Steps[i], root.Child("steps").Index(i), false)
	}
	for i := range s.Finally {
		v.step(&s.Finally[i], root.Child("finally").Index(i), true)
	}
	v.cycles()
	v.workspacePlacement()
	for _, name := range names {
		if !v.used.Has(name) {
			v.warns = append(v.warns, field.Invalid(root.Child("profiles").Key(name), name, "profile is not used by any step"))
		}
	}
	return Result{Errors: dedupe(v.errs), Warnings: dedupe(v.warns)}
}

// dedupe drops repeats: a pipeline-level setting checked once per step
// that inherits it is reported once.
func dedupe(errs field.ErrorList) field.ErrorList {
	seen := map[string]bool{}
	out := errs[:0]
	for _, e := range errs {
		key := e.Error()
		if !seen[key] {
			seen[key] = true
			out = append(out, e)
		}
	}
	return out
}

func (v *validator) header() {
	p := v.p
	if p.APIVersion != spec.APIVersion {
		if p.APIVersion == "" {
			v.errs = append(v.errs, field.Required(field.NewPath("apiVersion"), "must be "+spec.APIVersion))
		} else {
			v.errs = append(v.errs, field.NotSupported(field.NewPath("apiVersion"), p.APIVersion, []string{spec.APIVersion}))
		}
	}
	if p.Kind != spec.Kind {
		if p.Kind == "" {
			v.errs = append(v.errs, field.Required(field.NewPath("kind"), "must be "+spec.Kind))
		} else {
			v.errs = append(v.errs, field.NotSupported(field.NewPath("kind"), p.Kind, []string{spec.Kind}))
		}
	}
	md := field.NewPath("metadata")
	if p.Metadata.Name == "" {
		v.errs = append(v.errs, field.Required(md.Child("name"), "the pipeline needs a name"))
	} else {
		v.dnsLabel(p.Metadata.Name, md.Child("name"), MaxNameLength, "the run adds a 6-character suffix and run names are used as label values")
	}
	if p.Metadata.Namespace != "" {
		v.dnsLabel(p.Metadata.Namespace, md.Child("namespace"), 63, "")
	}
	v.labels(p.Metadata.Labels, md.Child("labels"))
	v.annotations(p.Metadata.Annotations, md.Child("annotations"))
}

// dnsLabelErrors is Kubernetes' DNS-1123 label check, with the name it
// probably meant when there is one ("load_data" → "load-data").
func dnsLabelErrors(s string) []string {
	errs := utilvalidation.IsDNS1123Label(s)
	for i, e := range errs {
		// Kubernetes' own message quotes its regular expression; say it in words.
		if strings.Contains(e, "RFC 1123") {
			errs[i] = "must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit"
			if fix := dnsLabelFor(s); fix != "" && len(utilvalidation.IsDNS1123Label(fix)) == 0 {
				errs[i] += fmt.Sprintf(" (did you mean %q?)", fix)
			}
		}
	}
	return errs
}

var notLabelChars = regexp.MustCompile(`[^a-z0-9]+`)

// dnsLabelFor lowercases s and turns each run of other characters into one '-'.
func dnsLabelFor(s string) string {
	return strings.Trim(notLabelChars.ReplaceAllString(strings.ToLower(s), "-"), "-")
}

func (v *validator) dnsLabel(s string, p *field.Path, max int, why string) {
	for _, msg := range dnsLabelErrors(s) {
		v.errs = append(v.errs, field.Invalid(p, s, msg))
	}
	if len(s) > max && len(s) <= 63 {
		msg := fmt.Sprintf("must be no more than %d characters", max)
		if why != "" {
			msg += " (" + why + ")"
		}
		v.errs = append(v.errs, field.Invalid(p, s, msg))
	}
}

func (v *validator) subdomain(s string, p *field.Path) {
	for _, msg := range utilvalidation.IsDNS1123Subdomain(s) {
		v.errs = append(v.errs, field.Invalid(p, s, msg))
	}
}

func (v *validator) labels(m map[string]string, p *field.Path) {
	v.errs = append(v.errs, validateLabels(m, p)...)
	for k := range m {
		if reservedLabels.Has(k) {
			v.errs = append(v.errs, field.Forbidden(p.Key(k), "label "+k+" is set by kubectl-mlpipe itself"))
		}
	}
}

// validateLabels is metavalidation.ValidateLabels with each error on its
// key's path (labels[key], not labels), so it is located at that key's line.
func validateLabels(m map[string]string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, k := range sets.List(sets.KeySet(m)) {
		kp := p.Key(k)
		errs = append(errs, metavalidation.ValidateLabelName(k, kp)...)
		for _, msg := range utilvalidation.IsValidLabelValue(m[k]) {
			errs = append(errs, field.Invalid(kp, m[k], msg))
		}
	}
	return errs
}

// annotations reports a bad key at the key itself (ValidateAnnotations
// would report it at the map), then checks the total size.
func (v *validator) annotations(m map[string]string, p *field.Path) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, msg := range utilvalidation.IsQualifiedName(strings.ToLower(k)) {
			v.errs = append(v.errs, field.Invalid(p.Key(k), k, msg))
		}
	}
	if err := apivalidation.ValidateAnnotationsSize(m); err != nil {
		v.errs = append(v.errs, field.TooLong(p, "", apivalidation.TotalAnnotationSizeLimitB))
	}
}

func (v *validator) imagePullSecrets(names []string, p *field.Path) {
	for i, n := range names {
		v.subdomain(n, p.Index(i))
	}
}

func (v *validator) paramDecls(ps []spec.Param, p *field.Path) {
	for i, prm := range ps {
		pp := p.Index(i).Child("name")
		switch {
		case prm.Name == "":
			v.errs = append(v.errs, field.Required(pp, "param needs a name"))
			continue
		case !paramNameRe.MatchString(prm.Name):
			v.errs = append(v.errs, field.Invalid(pp, prm.Name, "must start with a letter and hold only letters, digits, '-' and '_'"))
		case v.params.Has(prm.Name):
			v.errs = append(v.errs, field.Duplicate(pp, prm.Name))
		}
		v.params.Insert(prm.Name)
	}
}

func (v *validator) env(env []corev1.EnvVar, p *field.Path) {
	seen := sets.New[string]()
	for i, e := range env {
		ep := p.Index(i)
		if e.Name == "" {
			v.errs = append(v.errs, field.Required(ep.Child("name"), ""))
		} else {
			for _, msg := range utilvalidation.IsEnvVarName(e.Name) {
				v.errs = append(v.errs, field.Invalid(ep.Child("name"), e.Name, msg))
			}
			if seen.Has(e.Name) {
				v.errs = append(v.errs, field.Duplicate(ep.Child("name"), e.Name))
			}
			seen.Insert(e.Name)
		}
		if n := len(e.Name) + 1 + len(e.Value); n > budget.Arg {
			v.errs = append(v.errs, tooLong(ep.Child("value"), fmt.Sprintf("is %s; a process gets each environment variable as one NAME=value string, and Linux refuses one over %s (put large values in a file: a ConfigMap or Secret volume)", budget.Human(n), budget.Human(budget.Arg))))
		}
		if e.ValueFrom != nil {
			if e.Value != "" {
				v.errs = append(v.errs, field.Invalid(ep.Child("valueFrom"), "", "may not be set when `value` is set"))
			}
			n := 0
			vf := e.ValueFrom
			for _, set := range []bool{vf.SecretKeyRef != nil, vf.ConfigMapKeyRef != nil, vf.FieldRef != nil, vf.ResourceFieldRef != nil, vf.FileKeyRef != nil} {
				if set {
					n++
				}
			}
			if n != 1 {
				v.errs = append(v.errs, field.Invalid(ep.Child("valueFrom"), "", "must set exactly one of secretKeyRef, configMapKeyRef, fieldRef, resourceFieldRef or fileKeyRef"))
			}
			if r := vf.SecretKeyRef; r != nil && (r.Name == "" || r.Key == "") {
				v.errs = append(v.errs, field.Required(ep.Child("valueFrom", "secretKeyRef"), "needs both name and key"))
			}
			if r := vf.ConfigMapKeyRef; r != nil && (r.Name == "" || r.Key == "") {
				v.errs = append(v.errs, field.Required(ep.Child("valueFrom", "configMapKeyRef"), "needs both name and key"))
			}
		}
	}
}

func (v *validator) artifactStore(s string, p *field.Path) {
	if s == "" {
		return
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || (u.Host == "" && u.Opaque == "" && u.Path == "") {
		v.errs = append(v.errs, field.Invalid(p, s, "must be a URI with a scheme, such as s3://bucket/prefix or gs://bucket/prefix"))
		return
	}
	if strings.HasSuffix(s, "/") {
		v.errs = append(v.errs, field.Invalid(p, s, "must not end with '/' (run and step names are appended as path segments)"))
	}
}

func (v *validator) workspace(ws *spec.Workspace, p *field.Path) {
	if ws == nil {
		return
	}
	if ws.Size == "" {
		v.errs = append(v.errs, field.Required(p.Child("size"), "the size of the per-run volume, e.g. 20Gi"))
	} else {
		v.quantity(ws.Size, p.Child("size"), false)
	}
	if ws.StorageClassName != nil && *ws.StorageClassName != "" {
		v.subdomain(*ws.StorageClassName, p.Child("storageClassName"))
	}
	valid := []string{string(corev1.ReadWriteOnce), string(corev1.ReadOnlyMany), string(corev1.ReadWriteMany), string(corev1.ReadWriteOncePod)}
	for i, m := range ws.AccessModes {
		if !sets.New(valid...).Has(string(m)) {
			v.errs = append(v.errs, field.NotSupported(p.Child("accessModes").Index(i), m, valid))
		}
	}
}

func (v *validator) duration(s string, p *field.Path) time.Duration {
	d, err := time.ParseDuration(s)
	if err != nil {
		v.errs = append(v.errs, field.Invalid(p, s, `is not a duration (write it as "90m", "2h" or "1h30m")`))
		return 0
	}
	if d <= 0 {
		v.errs = append(v.errs, field.Invalid(p, s, "must be greater than zero"))
		return 0
	}
	return d
}

func (v *validator) cache(c *spec.Cache, p *field.Path) {
	if c == nil {
		return
	}
	if c.MaxAge != "" {
		if _, err := spec.ParseMaxAge(c.MaxAge); err != nil {
			v.errs = append(v.errs, field.Invalid(p.Child("maxAge"), c.MaxAge, `must be a duration ("90m", "36h") or whole days ("7d"), greater than zero`))
		}
	}
	if len(c.Key) > 253 {
		v.errs = append(v.errs, field.TooLong(p.Child("key"), c.Key, 253))
	}
}

func (v *validator) quantity(s string, p *field.Path, cpu bool) {
	if _, msg := checkQuantity(s, cpu); msg != "" {
		v.errs = append(v.errs, field.Invalid(p, s, msg))
	}
}

func (v *validator) settings(s *spec.Settings, p *field.Path) {
	if s == nil {
		return
	}
	if r := s.Resources; r != nil {
		rp := p.Child("resources")
		if r.CPU != "" {
			v.quantity(r.CPU, rp.Child("cpu"), true)
		}
		if r.Memory != "" {
			v.quantity(r.Memory, rp.Child("memory"), false)
		}
		if r.EphemeralStorage != "" {
			v.quantity(r.EphemeralStorage, rp.Child("ephemeralStorage"), false)
		}
		if r.GPU != nil && *r.GPU < 0 {
			v.errs = append(v.errs, field.Invalid(rp.Child("gpu"), *r.GPU, "must be a whole number of GPUs, zero or more"))
		}
		if r.GPUResource != "" {
			v.resourceName(r.GPUResource, rp.Child("gpuResource"))
		}
		if l := r.Limits; l != nil {
			lp := rp.Child("limits")
			if l.CPU != "" {
				v.quantity(l.CPU, lp.Child("cpu"), true)
			}
			if l.Memory != "" {
				v.quantity(l.Memory, lp.Child("memory"), false)
			}
			if l.EphemeralStorage != "" {
				v.quantity(l.EphemeralStorage, lp.Child("ephemeralStorage"), false)
			}
		}
	}
	v.env(s.Env, p.Child("env"))
	for i, e := range s.EnvFrom {
		ep := p.Child("envFrom").Index(i)
		var name string
		switch {
		case e.ConfigMapRef != nil && e.SecretRef != nil:
			v.errs = append(v.errs, field.Forbidden(ep.Child("secretRef"), "configMapRef is set too: one source per entry"))
			continue
		case e.ConfigMapRef == nil && e.SecretRef == nil:
			v.errs = append(v.errs, field.Required(ep.Child("configMapRef"), "or secretRef: the source of the variables"))
			continue
		case e.ConfigMapRef != nil:
			name, ep = e.ConfigMapRef.Name, ep.Child("configMapRef", "name")
		default:
			name, ep = e.SecretRef.Name, ep.Child("secretRef", "name")
		}
		if name == "" {
			v.errs = append(v.errs, field.Required(ep, "the ConfigMap or Secret whose keys become variables"))
		} else {
			v.subdomain(name, ep)
		}
		if e.Prefix != "" {
			for _, msg := range utilvalidation.IsEnvVarName(e.Prefix) {
				v.errs = append(v.errs, field.Invalid(p.Child("envFrom").Index(i).Child("prefix"), e.Prefix, msg))
			}
		}
	}
	if pod := s.Pod; pod != nil {
		v.pod(pod, p.Child("pod"))
	}
}

func (v *validator) resourceName(s string, p *field.Path) {
	msgs := utilvalidation.IsQualifiedName(s)
	if len(msgs) == 0 && !strings.Contains(s, "/") {
		msgs = append(msgs, "an extended resource needs a domain prefix, e.g. nvidia.com/gpu or amd.com/gpu")
	}
	if strings.HasPrefix(s, "kubernetes.io/") || strings.HasPrefix(s, "requests.") {
		msgs = append(msgs, "must not be a kubernetes.io resource")
	}
	for _, msg := range msgs {
		v.errs = append(v.errs, field.Invalid(p, s, msg))
	}
}

func (v *validator) pod(pod *spec.PodSettings, p *field.Path) {
	v.errs = append(v.errs, validateLabels(pod.NodeSelector, p.Child("nodeSelector"))...)
	v.labels(pod.Labels, p.Child("labels"))
	v.annotations(pod.Annotations, p.Child("annotations"))
	for i, t := range pod.Tolerations {
		v.toleration(t, p.Child("tolerations").Index(i))
	}
	if pod.Affinity != nil {
		v.affinity(pod.Affinity, p.Child("affinity"))
	}
	names := sets.New[string]()
	for i, vol := range pod.Volumes {
		vp := p.Child("volumes").Index(i).Child("name")
		if vol.Name == "" {
			v.errs = append(v.errs, field.Required(vp, ""))
			continue
		}
		for _, msg := range dnsLabelErrors(vol.Name) {
			v.errs = append(v.errs, field.Invalid(vp, vol.Name, msg))
		}
		if names.Has(vol.Name) {
			v.errs = append(v.errs, field.Duplicate(vp, vol.Name))
		}
		names.Insert(vol.Name)
	}
	for i, m := range pod.VolumeMounts {
		mp := p.Child("volumeMounts").Index(i)
		if m.Name == "" {
			v.errs = append(v.errs, field.Required(mp.Child("name"), ""))
		}
		if !strings.HasPrefix(m.MountPath, "/") {
			v.errs = append(v.errs, field.Invalid(mp.Child("mountPath"), m.MountPath, "must be an absolute path"))
		}
	}
	if pod.PriorityClassName != "" {
		v.subdomain(pod.PriorityClassName, p.Child("priorityClassName"))
	}
	if pod.RuntimeClassName != "" {
		v.subdomain(pod.RuntimeClassName, p.Child("runtimeClassName"))
	}
	if pod.SchedulerName != "" {
		v.subdomain(pod.SchedulerName, p.Child("schedulerName"))
	}
	if pod.ServiceAccountName != "" {
		v.subdomain(pod.ServiceAccountName, p.Child("serviceAccountName"))
	}
	switch pod.DNSPolicy {
	case "", corev1.DNSClusterFirst, corev1.DNSClusterFirstWithHostNet, corev1.DNSDefault:
	case corev1.DNSNone:
		if pod.DNSConfig == nil || len(pod.DNSConfig.Nameservers) == 0 {
			v.errs = append(v.errs, field.Required(p.Child("dnsConfig", "nameservers"), "dnsPolicy None takes its name servers from dnsConfig"))
		}
	default:
		v.errs = append(v.errs, field.NotSupported(p.Child("dnsPolicy"), pod.DNSPolicy, []corev1.DNSPolicy{corev1.DNSClusterFirst, corev1.DNSClusterFirstWithHostNet, corev1.DNSDefault, corev1.DNSNone}))
	}
	if c := pod.DNSConfig; c != nil {
		for i, ns := range c.Nameservers {
			if net.ParseIP(ns) == nil {
				v.errs = append(v.errs, field.Invalid(p.Child("dnsConfig", "nameservers").Index(i), ns, "must be an IP address"))
			}
		}
	}
	for i, h := range pod.HostAliases {
		hp := p.Child("hostAliases").Index(i)
		if net.ParseIP(h.IP) == nil {
			v.errs = append(v.errs, field.Invalid(hp.Child("ip"), h.IP, "must be an IP address"))
		}
		if len(h.Hostnames) == 0 {
			v.errs = append(v.errs, field.Required(hp.Child("hostnames"), "the names that resolve to ip"))
		}
		for j, n := range h.Hostnames {
			for _, msg := range utilvalidation.IsDNS1123Subdomain(n) {
				v.errs = append(v.errs, field.Invalid(hp.Child("hostnames").Index(j), n, msg))
			}
		}
	}
}

func (v *validator) toleration(t corev1.Toleration, p *field.Path) {
	if t.Key != "" {
		for _, msg := range utilvalidation.IsQualifiedName(t.Key) {
			v.errs = append(v.errs, field.Invalid(p.Child("key"), t.Key, msg))
		}
	}
	switch t.Operator {
	case corev1.TolerationOpEqual, "":
		if t.Key == "" {
			v.errs = append(v.errs, field.Invalid(p.Child("operator"), t.Operator, "an empty key requires operator Exists"))
		}
		for _, msg := range utilvalidation.IsValidLabelValue(t.Value) {
			v.errs = append(v.errs, field.Invalid(p.Child("value"), t.Value, msg))
		}
	case corev1.TolerationOpExists:
		if t.Value != "" {
			v.errs = append(v.errs, field.Invalid(p.Child("value"), t.Value, "must be empty when operator is Exists"))
		}
	default:
		v.errs = append(v.errs, field.NotSupported(p.Child("operator"), t.Operator, []string{string(corev1.TolerationOpEqual), string(corev1.TolerationOpExists)}))
	}
	switch t.Effect {
	case "", corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule, corev1.TaintEffectNoExecute:
	default:
		v.errs = append(v.errs, field.NotSupported(p.Child("effect"), t.Effect, []string{string(corev1.TaintEffectNoSchedule), string(corev1.TaintEffectPreferNoSchedule), string(corev1.TaintEffectNoExecute)}))
	}
	if t.TolerationSeconds != nil && t.Effect != corev1.TaintEffectNoExecute {
		v.errs = append(v.errs, field.Invalid(p.Child("tolerationSeconds"), *t.TolerationSeconds, "may only be set when effect is NoExecute"))
	}
}

var nodeOps = []string{"In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"}

func (v *validator) affinity(a *corev1.Affinity, p *field.Path) {
	if na := a.NodeAffinity; na != nil {
		np := p.Child("nodeAffinity")
		if r := na.RequiredDuringSchedulingIgnoredDuringExecution; r != nil {
			rp := np.Child("requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms")
			if len(r.NodeSelectorTerms) == 0 {
				v.errs = append(v.errs, field.Required(rp, "must have at least one node selector term"))
			}
			for i, t := range r.NodeSelectorTerms {
				v.nodeSelectorTerm(t, rp.Index(i))
			}
		}
		for i, t := range na.PreferredDuringSchedulingIgnoredDuringExecution {
			tp := np.Child("preferredDuringSchedulingIgnoredDuringExecution").Index(i)
			if t.Weight < 1 || t.Weight > 100 {
				v.errs = append(v.errs, field.Invalid(tp.Child("weight"), t.Weight, "must be in the range 1-100"))
			}
			v.nodeSelectorTerm(t.Preference, tp.Child("preference"))
		}
	}
	if pa := a.PodAffinity; pa != nil {
		for i, t := range pa.RequiredDuringSchedulingIgnoredDuringExecution {
			v.podAffinityTerm(t, p.Child("podAffinity", "requiredDuringSchedulingIgnoredDuringExecution").Index(i))
		}
		for i, t := range pa.PreferredDuringSchedulingIgnoredDuringExecution {
			v.podAffinityTerm(t.PodAffinityTerm, p.Child("podAffinity", "preferredDuringSchedulingIgnoredDuringExecution").Index(i).Child("podAffinityTerm"))
		}
	}
	if pa := a.PodAntiAffinity; pa != nil {
		for i, t := range pa.RequiredDuringSchedulingIgnoredDuringExecution {
			v.podAffinityTerm(t, p.Child("podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution").Index(i))
		}
		for i, t := range pa.PreferredDuringSchedulingIgnoredDuringExecution {
			v.podAffinityTerm(t.PodAffinityTerm, p.Child("podAntiAffinity", "preferredDuringSchedulingIgnoredDuringExecution").Index(i).Child("podAffinityTerm"))
		}
	}
}

func (v *validator) nodeSelectorTerm(t corev1.NodeSelectorTerm, p *field.Path) {
	for i, r := range t.MatchExpressions {
		rp := p.Child("matchExpressions").Index(i)
		v.requirement(r.Key, string(r.Operator), r.Values, rp, nodeOps)
	}
	for i, r := range t.MatchFields {
		rp := p.Child("matchFields").Index(i)
		v.requirement(r.Key, string(r.Operator), r.Values, rp, nodeOps)
	}
}

func (v *validator) podAffinityTerm(t corev1.PodAffinityTerm, p *field.Path) {
	if t.TopologyKey == "" {
		v.errs = append(v.errs, field.Required(p.Child("topologyKey"), "e.g. kubernetes.io/hostname"))
	}
	if t.LabelSelector != nil {
		v.errs = append(v.errs, metavalidation.ValidateLabelSelector(t.LabelSelector, metavalidation.LabelSelectorValidationOptions{}, p.Child("labelSelector"))...)
	}
}

func (v *validator) requirement(key, op string, values []string, p *field.Path, ops []string) {
	for _, msg := range utilvalidation.IsQualifiedName(key) {
		v.errs = append(v.errs, field.Invalid(p.Child("key"), key, msg))
	}
	switch op {
	case "In", "NotIn":
		if len(values) == 0 {
			v.errs = append(v.errs, field.Required(p.Child("values"), "must be specified when operator is "+op))
		}
	case "Exists", "DoesNotExist":
		if len(values) > 0 {
			v.errs = append(v.errs, field.Forbidden(p.Child("values"), "may not be specified when operator is "+op))
		}
	case "Gt", "Lt":
		if len(values) != 1 {
			v.errs = append(v.errs, field.Required(p.Child("values"), "must be a single integer when operator is "+op))
		}
	default:
		v.errs = append(v.errs, field.NotSupported(p.Child("operator"), op, ops))
	}
}

// stepNames indexes the steps and reports bad and duplicate names first,
// so that reference checks can rely on the index.
func (v *validator) stepNames() {
	root := field.NewPath("spec")
	check := func(list []spec.Step, lp *field.Path, finally bool) {
		for i := range list {
			s := &list[i]
			np := lp.Index(i).Child("name")
			if s.Name == "" {
				v.errs = append(v.errs, field.Required(np, "every step needs a name"))
				continue
			}
			for _, msg := range dnsLabelErrors(s.Name) {
				v.errs = append(v.errs, field.Invalid(np, s.Name, msg))
			}
			if _, dup := v.steps[s.Name]; dup {
				v.errs = append(v.errs, field.Duplicate(np, s.Name))
				continue
			}
			v.steps[s.Name] = s
			if finally {
				v.finally.Insert(s.Name)
			}
		}
	}
	check(v.p.Spec.Steps, root.Child("steps"), false)
	check(v.p.Spec.Finally, root.Child("finally"), true)
}

func (v *validator) step(s *spec.Step, p *field.Path, finally bool) {
	if s.Image == "" && v.p.Spec.Image == "" {
		v.errs = append(v.errs, field.Required(p.Child("image"), "set the step's image or spec.image"))
	}
	if s.Script != "" && (len(s.Command) > 0 || len(s.Args) > 0) {
		which := "command"
		if len(s.Command) == 0 {
			which = "args"
		}
		v.errs = append(v.errs, field.Forbidden(p.Child("script"), "a step has command/args or script, not both (this step also sets "+which+")"))
	}
	if s.WorkingDir != "" && !strings.HasPrefix(s.WorkingDir, "/") && !strings.HasPrefix(s.WorkingDir, "$(") {
		v.errs = append(v.errs, field.Invalid(p.Child("workingDir"), s.WorkingDir, "must be an absolute path"))
	}
	v.env(s.Env, p.Child("env"))
	v.sizes(s, p)
	if finally && s.Cache != nil {
		v.errs = append(v.errs, field.Forbidden(p.Child("cache"), "finally steps always run; they cannot be cached"))
	}
	v.cache(s.Cache, p.Child("cache"))
	outs := sets.New[string]()
	for i, o := range s.Outputs {
		op := p.Child("outputs").Index(i)
		if !outputNameRe.MatchString(o) {
			v.errs = append(v.errs, field.Invalid(op, o, "must hold only letters, digits, '-' and '_', and start and end with a letter or digit"))
		}
		if outs.Has(o) {
			v.errs = append(v.errs, field.Duplicate(op, o))
		}
		outs.Insert(o)
	}
	for i, a := range s.After {
		ap := p.Child("after").Index(i)
		switch {
		case finally:
			v.errs = append(v.errs, field.Forbidden(ap, "finally steps run after every DAG step; they cannot use after"))
		case v.finally.Has(a):
			v.errs = append(v.errs, field.Invalid(ap, a, "is a finally step; DAG steps cannot run after finally steps"))
		case v.steps[a] == nil:
			v.errs = append(v.errs, notFound(ap, a, v.unknownStep(a)))
		}
	}
	if s.Retries < 0 {
		v.errs = append(v.errs, field.Invalid(p.Child("retries"), s.Retries, "must be zero or more"))
	}
	if s.Timeout != "" {
		if d := v.duration(s.Timeout, p.Child("timeout")); d > 0 && v.timeout > 0 && d > v.timeout {
			v.errs = append(v.errs, field.Invalid(p.Child("timeout"), s.Timeout, fmt.Sprintf("exceeds the pipeline's timeout (spec.timeout: %s)", v.p.Spec.Timeout)))
		}
	}
	v.matrix(s, p, finally)
	if key, ok := model.ProfileKey(s.Profile); ok {
		v.matrixProfile(s, p, key)
	} else if s.Profile != "" {
		v.used.Insert(s.Profile)
		if !v.profiles.Has(s.Profile) {
			v.errs = append(v.errs, notFound(p.Child("profile"), s.Profile, v.unknownProfile()))
		}
	}
	v.settings(s.Settings, p.Child("settings"))
	for i, w := range s.When {
		wp := p.Child("when").Index(i)
		if w.Input == "" {
			v.errs = append(v.errs, field.Required(wp.Child("input"), ""))
		}
		if w.Operator != "in" && w.Operator != "notin" {
			v.errs = append(v.errs, field.NotSupported(wp.Child("operator"), w.Operator, []string{"in", "notin"}))
		}
		if len(w.Values) == 0 {
			v.errs = append(v.errs, field.Required(wp.Child("values"), "at least one value"))
		}
	}
	v.references(s, p, finally, outs)
	for _, inst := range model.ProfileVariants(s) {
		v.merged(inst, p)
	}
}

// sizes refuses strings no process can receive: Linux caps one argument
// or environment string at 128 KiB (E2BIG at exec), and Tekton hands a
// script to its place-scripts init container base64-encoded as one argument.
func (v *validator) sizes(s *spec.Step, p *field.Path) {
	if n := budget.ScriptArgBytes(s.Script); s.Script != "" && n > budget.Arg {
		v.errs = append(v.errs, tooLong(p.Child("script"), fmt.Sprintf("is %s; Tekton passes a script base64-encoded (4/3 as long) in one argument of its place-scripts init container, and Linux refuses one argument over %s: keep a script under %s (put the code in the image, or mount it from a ConfigMap)", budget.Human(len(s.Script)), budget.Human(budget.Arg), budget.Human(budget.MaxScript))))
	}
	for _, f := range []struct {
		name string
		list []string
	}{{"command", s.Command}, {"args", s.Args}} {
		for i, a := range f.list {
			if len(a) > budget.Arg {
				v.errs = append(v.errs, tooLong(p.Child(f.name).Index(i), fmt.Sprintf("is %s; Linux refuses one argument over %s (pass large values in a file)", budget.Human(len(a)), budget.Human(budget.Arg))))
			}
		}
	}
}

// tooLong is a size error whose detail says it all; the value is not repeated.
func tooLong(p *field.Path, detail string) *field.Error {
	return &field.Error{Type: field.ErrorTypeTooLong, Field: p.String(), BadValue: field.OmitValueType{}, Detail: detail}
}

func (v *validator) unknownStep(name string) string {
	var names []string
	for n := range v.steps {
		if !v.finally.Has(n) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return "no step is named " + name + " (steps: " + strings.Join(names, ", ") + ")"
}

func (v *validator) unknownProfile() string {
	if v.profiles.Len() == 0 {
		return "spec.profiles defines no profiles"
	}
	return "defined profiles: " + strings.Join(sets.List(v.profiles), ", ")
}

// references checks every $(...) in the fields that may hold one.
func (v *validator) references(s *spec.Step, p *field.Path, finally bool, outs sets.Set[string]) {
	check := func(text string, fp *field.Path, inWhen bool) {
		rs, errs := refs.Parse(text)
		for _, err := range errs {
			v.errs = append(v.errs, field.Invalid(fp, text, err.Error()))
		}
		for _, r := range rs {
			v.reference(r, s, fp, finally, inWhen, outs)
		}
	}
	for i, t := range s.Command {
		check(t, p.Child("command").Index(i), false)
	}
	for i, t := range s.Args {
		check(t, p.Child("args").Index(i), false)
	}
	check(s.Script, p.Child("script"), false)
	check(s.WorkingDir, p.Child("workingDir"), false)
	// Env is checked after merging: a reference in spec.env or a profile's
	// env is substituted into this step, so it must make sense here too.
	if s.Profile == "" || v.profiles.Has(s.Profile) {
		for _, e := range v.merge(s, p).Env {
			check(e.V.Value, field.NewPath(e.From).Child("value"), false)
		}
	}
	for i, w := range s.When {
		check(w.Input, p.Child("when").Index(i).Child("input"), true)
		for j, val := range w.Values {
			check(val, p.Child("when").Index(i).Child("values").Index(j), true)
		}
	}
}

func (v *validator) reference(r refs.Ref, s *spec.Step, fp *field.Path, finally, inWhen bool, outs sets.Set[string]) {
	bad := func(msg string) { v.errs = append(v.errs, field.Invalid(fp, r.Text, msg)) }
	switch r.Kind {
	case refs.Param:
		if !v.params.Has(r.Name) {
			msg := "spec.params declares no params"
			if v.params.Len() > 0 {
				msg = "declared params: " + strings.Join(sets.List(v.params), ", ")
			}
			bad("param " + r.Name + " is not declared in spec.params (" + msg + ")")
		}
	case refs.MatrixValue:
		switch {
		case inWhen:
			bad("$(matrix." + r.Name + ") is not known in when: every instance shares the step's when")
		case s.Matrix == nil:
			bad("$(matrix." + r.Name + ") is an instance's value in a step with a matrix; step " + s.Name + " has none")
		case !contains(s.Matrix.Keys(), r.Name):
			bad("the matrix of step " + s.Name + " has no key " + r.Name + " (keys: " + strings.Join(s.Matrix.Keys(), ", ") + ")")
		}
	case refs.StepOutput, refs.StepOutputs:
		target, ok := v.steps[r.Step]
		switch {
		case ok && r.Kind == refs.StepOutput && target.Matrix != nil && r.Step != s.Name:
			bad("step " + r.Step + " fans out (matrix): read the output of every instance, as a JSON array, with $(steps." + r.Step + ".outputs." + r.Name + "[*])")
		case ok && r.Kind == refs.StepOutputs && target.Matrix == nil:
			bad("step " + r.Step + " does not fan out: read its output with $(steps." + r.Step + ".outputs." + r.Name + ")")
		case !ok:
			bad(v.unknownStep(r.Step))
		case r.Step == s.Name:
			bad("a step cannot read its own output; write it with $(outputs." + r.Name + ".path)")
		case v.finally.Has(r.Step):
			bad("step " + r.Step + " is a finally step; its outputs cannot be read")
		case !contains(target.Outputs, r.Name):
			decl := "it declares no outputs"
			if len(target.Outputs) > 0 {
				decl = "its outputs: " + strings.Join(target.Outputs, ", ")
			}
			bad("step " + r.Step + " has no output " + r.Name + " (" + decl + ")")
		case finally:
			// Tekton skips a finally task whose result references are
			// missing ("Results were missing"): exactly when the run fails,
			// the step that should report it would not run.
			v.warns = append(v.warns, field.Invalid(fp, r.Text, "finally step "+s.Name+" reads an output of step "+r.Step+
				", so Tekton skips it whenever "+r.Step+" does not succeed (the output is missing), also when the run fails. "+
				"To run it in every case, have "+r.Step+" also write the value to a file under $(workspace.path) or the artifact store and read it from there, branching on $(run.status)"))
		}
	case refs.OutputPath:
		if inWhen {
			bad("$(outputs.NAME.path) is where the step writes an output; it has no meaning in when")
		} else if !outs.Has(r.Name) {
			bad("output " + r.Name + " is not declared in the outputs of step " + s.Name)
		}
	case refs.WorkspacePath:
		if v.p.Spec.Workspace == nil {
			bad("the pipeline has no workspace: add spec.workspace (or use spec.artifactStore)")
		} else if inWhen {
			bad("$(workspace.path) has no meaning in when")
		}
	case refs.RunStatus:
		if !finally {
			bad("$(run.status) is only known in finally steps")
		}
	}
}

func notFound(p *field.Path, value any, detail string) *field.Error {
	e := field.NotFound(p, value)
	e.Detail = detail
	return e
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// merged checks what only shows once the levels are merged: requests
// against limits, and volume mounts against volumes.
func (v *validator) merged(s *spec.Step, p *field.Path) {
	if s.Profile != "" && !v.profiles.Has(s.Profile) {
		return
	}
	r := v.merge(s, p)
	pairs := []struct {
		req, lim model.Value[string]
		cpu      bool
	}{{r.CPU, r.LimitCPU, true}, {r.Memory, r.LimitMemory, false}, {r.EphemeralStorage, r.LimitEphemeralStorage, false}}
	for _, pr := range pairs {
		if !pr.req.Set || !pr.lim.Set {
			continue
		}
		rq, m1 := checkQuantity(pr.req.V, pr.cpu)
		lq, m2 := checkQuantity(pr.lim.V, pr.cpu)
		if m1 == "" && m2 == "" && rq.Cmp(lq) > 0 {
			v.errs = append(v.errs, field.Invalid(field.NewPath(pr.lim.From), pr.lim.V, fmt.Sprintf("limit is below the request %s (from %s) of step %s", pr.req.V, pr.req.From, s.Name)))
		}
	}
	vols := sets.New[string]()
	for _, vol := range r.Volumes {
		vols.Insert(vol.V.Name)
	}
	for _, m := range r.VolumeMounts {
		if m.V.Name != "" && !vols.Has(m.V.Name) {
			v.errs = append(v.errs, notFound(field.NewPath(m.From).Child("name"), m.V.Name, "no volume of that name in step "+s.Name+"'s merged pod.volumes"))
		}
	}
}

// cycles reports each cycle in the DAG, named in running order.
func (v *validator) cycles() {
	g := dag.New()
	for _, s := range v.p.Spec.Steps {
		if s.Name != "" {
			g.AddNode(s.Name)
		}
	}
	for i := range v.p.Spec.Steps {
		s := &v.p.Spec.Steps[i]
		if s.Name == "" {
			continue
		}
		for _, a := range s.After {
			g.AddEdge(s.Name, a)
		}
		// Env values are substituted too, so their references are edges
		// (model.Build counts them, and Tekton rejects the cycle they make).
		var env []model.Entry[corev1.EnvVar]
		if s.Profile == "" || v.profiles.Has(s.Profile) {
			env = v.merge(s, field.NewPath("spec", "steps").Index(i)).Env
		}
		for _, r := range model.StepRefs(s, env) {
			// A step reading its own output is reported by reference();
			// it is not also a cycle.
			if (r.Kind == refs.StepOutput || r.Kind == refs.StepOutputs) && r.Step != s.Name {
				g.AddEdge(s.Name, r.Step)
			}
		}
	}
	index := map[string]int{}
	for i, st := range v.p.Spec.Steps {
		if _, dup := index[st.Name]; !dup {
			index[st.Name] = i
		}
	}
	for _, c := range g.Cycles() {
		// Point at the first edge of the cycle: where c[1] asks to run after c[0].
		i := index[c[1]]
		at := edgeField(&v.p.Spec.Steps[i], field.NewPath("spec", "steps").Index(i), c[0])
		v.errs = append(v.errs, field.Invalid(at, strings.Join(c, " → "), "the steps form a cycle: "+strings.Join(c, " → ")))
	}
}

// edgeField finds the field that makes step s run after dep: an after
// entry, or the first field that reads one of dep's outputs.
func edgeField(s *spec.Step, p *field.Path, dep string) *field.Path {
	for j, a := range s.After {
		if a == dep {
			return p.Child("after").Index(j)
		}
	}
	needle := "$(steps." + dep + ".outputs."
	for j, t := range s.Command {
		if strings.Contains(t, needle) {
			return p.Child("command").Index(j)
		}
	}
	for j, t := range s.Args {
		if strings.Contains(t, needle) {
			return p.Child("args").Index(j)
		}
	}
	if strings.Contains(s.Script, needle) {
		return p.Child("script")
	}
	if strings.Contains(s.WorkingDir, needle) {
		return p.Child("workingDir")
	}
	for j, e := range s.Env {
		if strings.Contains(e.Value, needle) {
			return p.Child("env").Index(j).Child("value")
		}
	}
	if s.Settings != nil {
		for j, e := range s.Settings.Env {
			if strings.Contains(e.Value, needle) {
				return p.Child("settings", "env").Index(j).Child("value")
			}
		}
	}
	for j, w := range s.When {
		if strings.Contains(w.Input, needle) {
			return p.Child("when").Index(j).Child("input")
		}
	}
	return p
}

// workspacePlacement warns when steps that share the workspace ask for
// placements no single node can satisfy: Tekton's affinity assistant pins
// every pod using the workspace PVC to one node.
func (v *validator) workspacePlacement() {
	a, b, why := workspaceConflict(v.p, v.profiles)
	if why == "" {
		return
	}
	v.warns = append(v.warns, field.Invalid(field.NewPath("spec", "workspace"), a+","+b,
		"steps "+a+" and "+b+" share the workspace but ask for different nodes ("+why+"); Tekton's affinity assistant puts every pod using the workspace on one node, so one of them will not be scheduled. "+
			"Use ReadWriteMany storage on a cluster with coschedule: disabled, or spec.artifactStore instead of spec.workspace"))
}

// WorkspaceConflict names two steps of a valid p that share the workspace
// but need different nodes, and why; why is empty when there are none. run
// refuses such a spec on a cluster whose Tekton coschedules the workspace.
func WorkspaceConflict(p *spec.Pipeline) (a, b, why string) {
	profiles := sets.New[string]()
	for name := range p.Spec.Profiles {
		profiles.Insert(name)
	}
	return workspaceConflict(p, profiles)
}

func workspaceConflict(p *spec.Pipeline, profiles sets.Set[string]) (string, string, string) {
	if p.Spec.Workspace == nil {
		return "", "", ""
	}
	type placed struct {
		name string
		sel  map[string]string
	}
	var all []placed
	root := field.NewPath("spec")
	add := func(list []spec.Step, lp *field.Path) {
		for i := range list {
			// A step whose profile is $(matrix.KEY) is placed once per profile.
			for _, s := range model.ProfileVariants(&list[i]) {
				if s.Profile != "" && !profiles.Has(s.Profile) {
					continue
				}
				r := model.Merge(model.StepLevels(p, s, lp.Index(i))...)
				name := s.Name
				if s.Profile != list[i].Profile {
					name += " (profile " + s.Profile + ")"
				}
				all = append(all, placed{name, model.StringMap(r.NodeSelector)})
			}
		}
	}
	add(p.Spec.Steps, root.Child("steps"))
	add(p.Spec.Finally, root.Child("finally"))
	for i := 0; i < len(all); i++ {
		for j := i + 1; j < len(all); j++ {
			a, b := all[i], all[j]
			keys := make([]string, 0, len(a.sel))
			for k := range a.sel {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if bv, ok := b.sel[k]; ok && bv != a.sel[k] {
					return a.name, b.name, fmt.Sprintf("%s needs %s=%s but %s needs %s=%s", a.name, k, a.sel[k], b.name, k, bv)
				}
			}
		}
	}
	return "", "", ""
}

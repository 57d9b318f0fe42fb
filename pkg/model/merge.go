package model

import (
	"sort"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/mlpipe/kubectl-mlpipe/pkg/spec"
)

// Value is one merged setting and the spec field it came from.
type Value[T any] struct {
	V    T
	Set  bool
	From string
}

func (v *Value[T]) set(x T, from *field.Path, ov *[]Override) {
	if v.Set {
		*ov = append(*ov, Override{Lost: v.From, By: from.String()})
	}
	v.V, v.Set, v.From = x, true, from.String()
}

// Entry is one element of a merged list or map, with the spec field it came from.
type Entry[T any] struct {
	Key  string
	V    T
	From string
}

// Override records that a later level replaced an earlier setting, so that
// `render --explain` can say where a setting went instead of dropping it silently.
type Override struct {
	Lost string
	By   string
}

// Resolved is a step's settings after merging pipeline < profile < step.
type Resolved struct {
	CPU, Memory, EphemeralStorage                Value[string]
	LimitCPU, LimitMemory, LimitEphemeralStorage Value[string]
	GPU                                          Value[int64]
	GPUResource                                  Value[string]

	NodeSelector, Labels, Annotations []Entry[string]
	Tolerations                       []Entry[corev1.Toleration]
	Volumes                           []Entry[corev1.Volume]
	VolumeMounts                      []Entry[corev1.VolumeMount]
	Env                               []Entry[corev1.EnvVar]
	EnvFrom                           []Entry[corev1.EnvFromSource]

	Affinity                                           Value[*corev1.Affinity]
	TopologySpread                                     Value[[]corev1.TopologySpreadConstraint]
	SecurityContext                                    Value[*corev1.PodSecurityContext]
	PriorityClassName, RuntimeClassName, SchedulerName Value[string]
	GPUToleration                                      Value[bool]
	ServiceAccountName                                 Value[string]
	HostNetwork, EnableServiceLinks, AutomountToken    Value[bool]
	DNSPolicy                                          Value[corev1.DNSPolicy]
	DNSConfig                                          Value[*corev1.PodDNSConfig]
	HostAliases                                        []Entry[corev1.HostAlias]

	Overrides []Override
}

// Level is one layer of settings and where it sits in the spec.
type Level struct {
	Settings *spec.Settings
	Path     *field.Path
	// Env is an extra env list at this level (spec.env, steps[].env), merged after Settings.Env.
	Env     []corev1.EnvVar
	EnvPath *field.Path
}

// Merge folds levels in order; later levels win as SPEC.md's precedence rules say.
func Merge(levels ...Level) Resolved {
	var r Resolved
	for _, l := range levels {
		if s := l.Settings; s != nil {
			r.mergeResources(s.Resources, l.Path.Child("resources"))
			r.mergePod(s.Pod, l.Path.Child("pod"))
			r.Env = mergeList(r.Env, s.Env, l.Path.Child("env"), envKey, &r.Overrides)
			r.EnvFrom = mergeLast(r.EnvFrom, s.EnvFrom, l.Path.Child("envFrom"), EnvFromKey, &r.Overrides)
		}
		if l.Env != nil {
			r.Env = mergeList(r.Env, l.Env, l.EnvPath, envKey, &r.Overrides)
		}
	}
	return r
}

func (r *Resolved) mergeResources(res *spec.Resources, p *field.Path) {
	if res == nil {
		return
	}
	ov := &r.Overrides
	str := func(dst *Value[string], v string, name string) {
		if v != "" {
			dst.set(v, p.Child(name), ov)
		}
	}
	str(&r.CPU, res.CPU, "cpu")
	str(&r.Memory, res.Memory, "memory")
	str(&r.EphemeralStorage, res.EphemeralStorage, "ephemeralStorage")
	str(&r.GPUResource, res.GPUResource, "gpuResource")
	if res.GPU != nil {
		r.GPU.set(*res.GPU, p.Child("gpu"), ov)
	}
	if l := res.Limits; l != nil {
		lp := p.Child("limits")
		if l.CPU != "" {
			r.LimitCPU.set(l.CPU, lp.Child("cpu"), ov)
		}
		if l.Memory != "" {
			r.LimitMemory.set(l.Memory, lp.Child("memory"), ov)
		}
		if l.EphemeralStorage != "" {
			r.LimitEphemeralStorage.set(l.EphemeralStorage, lp.Child("ephemeralStorage"), ov)
		}
	}
}

func (r *Resolved) mergePod(pod *spec.PodSettings, p *field.Path) {
	if pod == nil {
		return
	}
	ov := &r.Overrides
	r.NodeSelector = mergeMap(r.NodeSelector, pod.NodeSelector, p.Child("nodeSelector"), ov)
	r.Labels = mergeMap(r.Labels, pod.Labels, p.Child("labels"), ov)
	r.Annotations = mergeMap(r.Annotations, pod.Annotations, p.Child("annotations"), ov)
	r.Tolerations = mergeList(r.Tolerations, pod.Tolerations, p.Child("tolerations"), TolerationKey, ov)
	r.Volumes = mergeList(r.Volumes, pod.Volumes, p.Child("volumes"), func(v corev1.Volume) string { return v.Name }, ov)
	r.VolumeMounts = mergeList(r.VolumeMounts, pod.VolumeMounts, p.Child("volumeMounts"), func(m corev1.VolumeMount) string { return m.MountPath }, ov)
	if pod.Affinity != nil {
		r.Affinity.set(pod.Affinity, p.Child("affinity"), ov)
	}
	if pod.TopologySpreadConstraints != nil {
		r.TopologySpread.set(pod.TopologySpreadConstraints, p.Child("topologySpreadConstraints"), ov)
	}
	if pod.SecurityContext != nil {
		r.SecurityContext.set(pod.SecurityContext, p.Child("securityContext"), ov)
	}
	if pod.PriorityClassName != "" {
		r.PriorityClassName.set(pod.PriorityClassName, p.Child("priorityClassName"), ov)
	}
	if pod.RuntimeClassName != "" {
		r.RuntimeClassName.set(pod.RuntimeClassName, p.Child("runtimeClassName"), ov)
	}
	if pod.SchedulerName != "" {
		r.SchedulerName.set(pod.SchedulerName, p.Child("schedulerName"), ov)
	}
	if pod.GPUToleration != nil {
		r.GPUToleration.set(*pod.GPUToleration, p.Child("gpuToleration"), ov)
	}
	if pod.ServiceAccountName != "" {
		r.ServiceAccountName.set(pod.ServiceAccountName, p.Child("serviceAccountName"), ov)
	}
	if pod.HostNetwork != nil {
		r.HostNetwork.set(*pod.HostNetwork, p.Child("hostNetwork"), ov)
	}
	if pod.EnableServiceLinks != nil {
		r.EnableServiceLinks.set(*pod.EnableServiceLinks, p.Child("enableServiceLinks"), ov)
	}
	if pod.AutomountServiceAccountToken != nil {
		r.AutomountToken.set(*pod.AutomountServiceAccountToken, p.Child("automountServiceAccountToken"), ov)
	}
	if pod.DNSPolicy != "" {
		r.DNSPolicy.set(pod.DNSPolicy, p.Child("dnsPolicy"), ov)
	}
	if pod.DNSConfig != nil {
		r.DNSConfig.set(pod.DNSConfig, p.Child("dnsConfig"), ov)
	}
	r.HostAliases = mergeList(r.HostAliases, pod.HostAliases, p.Child("hostAliases"), func(h corev1.HostAlias) string { return h.IP }, ov)
}

// TolerationKey is a toleration's identity for merging: key and effect.
func TolerationKey(t corev1.Toleration) string { return t.Key + "\x00" + string(t.Effect) }

func envKey(e corev1.EnvVar) string { return e.Name }

// EnvFromKey is an envFrom source's identity for merging: what it reads
// (ConfigMap or Secret, and its name) and the prefix it adds.
func EnvFromKey(e corev1.EnvFromSource) string {
	switch {
	case e.ConfigMapRef != nil:
		return "configMap\x00" + e.ConfigMapRef.Name + "\x00" + e.Prefix
	case e.SecretRef != nil:
		return "secret\x00" + e.SecretRef.Name + "\x00" + e.Prefix
	}
	return "\x00" + e.Prefix
}

// mergeMap merges src over dst per key; the result is sorted by key.
func mergeMap(dst []Entry[string], src map[string]string, p *field.Path, ov *[]Override) []Entry[string] {
	if len(src) == 0 {
		return dst
	}
	keys := make([]string, 0, len(src))
	for k := range src {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		from := p.Key(k).String()
		replaced := false
		for i := range dst {
			if dst[i].Key == k {
				*ov = append(*ov, Override{Lost: dst[i].From, By: from})
				dst[i] = Entry[string]{Key: k, V: src[k], From: from}
				replaced = true
				break
			}
		}
		if !replaced {
			dst = append(dst, Entry[string]{Key: k, V: src[k], From: from})
		}
	}
	sort.SliceStable(dst, func(i, j int) bool { return dst[i].Key < dst[j].Key })
	return dst
}

// mergeList appends src to dst; an entry whose identity is already present
// replaces the earlier one in place, so order stays that of first mention.
func mergeList[T any](dst []Entry[T], src []T, p *field.Path, key func(T) string, ov *[]Override) []Entry[T] {
	for i, v := range src {
		k := key(v)
		from := p.Index(i).String()
		replaced := false
		for j := range dst {
			if dst[j].Key == k {
				*ov = append(*ov, Override{Lost: dst[j].From, By: from})
				dst[j] = Entry[T]{Key: k, V: v, From: from}
				replaced = true
				break
			}
		}
		if !replaced {
			dst = append(dst, Entry[T]{Key: k, V: v, From: from})
		}
	}
	return dst
}

// mergeLast is mergeList for lists whose order decides (envFrom: of two
// sources that set a key, the later wins): an entry a later level lists
// again moves to the end, where its level's precedence puts it.
func mergeLast[T any](dst []Entry[T], src []T, p *field.Path, key func(T) string, ov *[]Override) []Entry[T] {
	for i, v := range src {
		k := key(v)
		from := p.Index(i).String()
		for j := range dst {
			if dst[j].Key == k {
				*ov = append(*ov, Override{Lost: dst[j].From, By: from})
				dst = append(dst[:j:j], dst[j+1:]...)
				break
			}
		}
		dst = append(dst, Entry[T]{Key: k, V: v, From: from})
	}
	return dst
}

// Values returns the bare values of a merged list.
func Values[T any](es []Entry[T]) []T {
	if len(es) == 0 {
		return nil
	}
	out := make([]T, len(es))
	for i, e := range es {
		out[i] = e.V
	}
	return out
}

// StringMap returns a merged map as a Go map.
func StringMap(es []Entry[string]) map[string]string {
	if len(es) == 0 {
		return nil
	}
	out := make(map[string]string, len(es))
	for _, e := range es {
		out[e.Key] = e.V
	}
	return out
}

// GPUResourceName is the extended resource the step's gpu count is set on.
func (r *Resolved) GPUResourceName() string {
	if r.GPUResource.Set {
		return r.GPUResource.V
	}
	return spec.DefaultGPUResource
}

// WantsGPU reports whether the step asks for at least one GPU.
func (r *Resolved) WantsGPU() bool { return r.GPU.Set && r.GPU.V > 0 }

// NeedsGPUToleration reports whether the automatic GPU toleration applies:
// the step wants GPUs, it was not turned off, and no toleration covers the key.
func (r *Resolved) NeedsGPUToleration() bool {
	if !r.WantsGPU() || (r.GPUToleration.Set && !r.GPUToleration.V) {
		return false
	}
	name := r.GPUResourceName()
	for _, t := range r.Tolerations {
		keyOK := t.V.Key == name || (t.V.Key == "" && t.V.Operator == corev1.TolerationOpExists)
		effectOK := t.V.Effect == "" || t.V.Effect == corev1.TaintEffectNoSchedule
		if keyOK && effectOK {
			return false
		}
	}
	return true
}

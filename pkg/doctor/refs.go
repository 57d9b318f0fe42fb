package doctor

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/mlpipe/kubectl-mlpipe/pkg/model"
)

// Kind is the kind of an object a spec names.
type Kind string

// The kinds of object a spec can name.
const (
	ServiceAccount        Kind = "ServiceAccount"
	Secret                Kind = "Secret"
	ConfigMap             Kind = "ConfigMap"
	PersistentVolumeClaim Kind = "PersistentVolumeClaim"
	PriorityClass         Kind = "PriorityClass"
	RuntimeClass          Kind = "RuntimeClass"
	StorageClass          Kind = "StorageClass"
)

// Namespaced reports whether objects of the kind live in a namespace.
func (k Kind) Namespaced() bool {
	switch k {
	case PriorityClass, RuntimeClass, StorageClass:
		return false
	}
	return true
}

// Ref is one object the run needs: a ServiceAccount, a Secret or ConfigMap
// read by env or volumes, a claim, a class.
type Ref struct {
	Kind Kind
	// Name is the object's name; a StorageClass ref with no name stands for
	// the cluster's default StorageClass.
	Name string
	// Field is the first spec field that names it ("" when nothing does: the
	// default ServiceAccount).
	Field string
	// Steps are the steps that use it, in order; AllSteps says every step does.
	Steps    []string
	AllSteps bool
	// Optional: every use tolerates its absence. Pull: it is only an image pull secret.
	Optional bool
	Pull     bool
	// Keys are the keys of a Secret or ConfigMap that env values read.
	Keys []KeyUse
}

// KeyUse is one key of a Secret or ConfigMap that an env value reads.
type KeyUse struct {
	Key, Field string
	Optional   bool
}

// ID identifies the object: Kind/Name.
func (r Ref) ID() string { return string(r.Kind) + "/" + r.Name }

// Lookup is what reading a referenced object found.
type Lookup struct {
	Found bool
	// Err is a failed read other than not found (forbidden, …).
	Err error
	// Keys are a found Secret's or ConfigMap's data keys.
	Keys []string
	// Name is the default StorageClass's name, for the ref without a name.
	Name string
	// Existing lists the objects of the kind that exist, when known (classes).
	Existing []string
}

// References lists the objects a run of the model needs, in first-use order.
func References(m *model.Model) []Ref {
	var out []Ref
	index := map[string]int{}
	steps := stepNames(m)
	add := func(r Ref, step string, key *KeyUse) {
		id := r.ID()
		i, ok := index[id]
		if !ok {
			i = len(out)
			index[id] = i
			r.Steps, r.Keys = nil, nil
			out = append(out, r)
		} else {
			out[i].Optional = out[i].Optional && r.Optional
			out[i].Pull = out[i].Pull && r.Pull
		}
		ref := &out[i]
		if step == "" {
			ref.AllSteps = true
		} else if !contains(ref.Steps, step) {
			ref.Steps = append(ref.Steps, step)
		}
		if key != nil && !containsKey(ref.Keys, key.Key) {
			ref.Keys = append(ref.Keys, *key)
		}
	}
	if m.ServiceAccountName != "" {
		add(Ref{Kind: ServiceAccount, Name: m.ServiceAccountName, Field: "spec.serviceAccountName"}, "", nil)
	} else {
		add(Ref{Kind: ServiceAccount, Name: "default"}, "", nil)
	}
	for i, s := range m.ImagePullSecrets {
		add(Ref{Kind: Secret, Name: s, Field: fmt.Sprintf("spec.imagePullSecrets[%d]", i), Pull: true}, "", nil)
	}
	if ws := m.Workspace; ws != nil {
		switch {
		case ws.StorageClassName == nil:
			add(Ref{Kind: StorageClass, Field: "spec.workspace"}, "", nil)
		case *ws.StorageClassName != "":
			add(Ref{Kind: StorageClass, Name: *ws.StorageClassName, Field: "spec.workspace.storageClassName"}, "", nil)
		}
	}
	for _, s := range m.All() {
		if s.Reused != nil {
			continue
		}
		name := s.Name
		if s.Instance != nil {
			name = s.Instance.Of
		}
		set := &s.Settings
		for _, e := range set.Env {
			vf := e.V.ValueFrom
			if vf == nil {
				continue
			}
			if r := vf.SecretKeyRef; r != nil {
				opt := r.Optional != nil && *r.Optional
				f := e.From + ".valueFrom.secretKeyRef"
				add(Ref{Kind: Secret, Name: r.Name, Field: f, Optional: opt}, name, &KeyUse{Key: r.Key, Field: f, Optional: opt})
			}
			if r := vf.ConfigMapKeyRef; r != nil {
				opt := r.Optional != nil && *r.Optional
				f := e.From + ".valueFrom.configMapKeyRef"
				add(Ref{Kind: ConfigMap, Name: r.Name, Field: f, Optional: opt}, name, &KeyUse{Key: r.Key, Field: f, Optional: opt})
			}
		}
		for _, e := range set.EnvFrom {
			opt := func(b *bool) bool { return b != nil && *b }
			if r := e.V.SecretRef; r != nil {
				add(Ref{Kind: Secret, Name: r.Name, Field: e.From + ".secretRef", Optional: opt(r.Optional)}, name, nil)
			}
			if r := e.V.ConfigMapRef; r != nil {
				add(Ref{Kind: ConfigMap, Name: r.Name, Field: e.From + ".configMapRef", Optional: opt(r.Optional)}, name, nil)
			}
		}
		if set.ServiceAccountName.Set {
			add(Ref{Kind: ServiceAccount, Name: set.ServiceAccountName.V, Field: set.ServiceAccountName.From}, name, nil)
		}
		for _, v := range set.Volumes {
			for _, r := range volumeRefs(v.V, v.From) {
				add(r, name, nil)
			}
		}
		if set.PriorityClassName.Set {
			add(Ref{Kind: PriorityClass, Name: set.PriorityClassName.V, Field: set.PriorityClassName.From}, name, nil)
		}
		if set.RuntimeClassName.Set {
			add(Ref{Kind: RuntimeClass, Name: set.RuntimeClassName.V, Field: set.RuntimeClassName.From}, name, nil)
		}
	}
	for i := range out {
		if len(out[i].Steps) == len(steps) && len(steps) > 0 {
			out[i].AllSteps = true
		}
	}
	return out
}

func volumeRefs(v corev1.Volume, from string) []Ref {
	var out []Ref
	opt := func(b *bool) bool { return b != nil && *b }
	switch {
	case v.Secret != nil:
		out = append(out, Ref{Kind: Secret, Name: v.Secret.SecretName, Field: from + ".secret", Optional: opt(v.Secret.Optional)})
	case v.ConfigMap != nil:
		out = append(out, Ref{Kind: ConfigMap, Name: v.ConfigMap.Name, Field: from + ".configMap", Optional: opt(v.ConfigMap.Optional)})
	case v.PersistentVolumeClaim != nil:
		out = append(out, Ref{Kind: PersistentVolumeClaim, Name: v.PersistentVolumeClaim.ClaimName, Field: from + ".persistentVolumeClaim"})
	case v.Projected != nil:
		for i, src := range v.Projected.Sources {
			f := fmt.Sprintf("%s.projected.sources[%d]", from, i)
			if src.Secret != nil {
				out = append(out, Ref{Kind: Secret, Name: src.Secret.Name, Field: f + ".secret", Optional: opt(src.Secret.Optional)})
			}
			if src.ConfigMap != nil {
				out = append(out, Ref{Kind: ConfigMap, Name: src.ConfigMap.Name, Field: f + ".configMap", Optional: opt(src.ConfigMap.Optional)})
			}
		}
	}
	return out
}

func stepNames(m *model.Model) []string {
	var out []string
	for _, s := range m.All() {
		if s.Reused != nil {
			continue
		}
		name := s.Name
		if s.Instance != nil {
			name = s.Instance.Of
		}
		if !contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func containsKey(list []KeyUse, k string) bool {
	for _, x := range list {
		if x.Key == k {
			return true
		}
	}
	return false
}

// CheckReferences says, for every object the run needs, whether it exists
// in the namespace (or the cluster), with the keys its env values read.
// got holds the lookups by Ref.ID.
func CheckReferences(ns string, refs []Ref, got map[string]Lookup) []Finding {
	out := make([]Finding, 0, len(refs))
	for _, r := range refs {
		out = append(out, checkRef(ns, r, got[r.ID()]))
	}
	return out
}

func (r Ref) users() string {
	switch {
	case r.AllSteps:
		return "every step"
	case len(r.Steps) == 1:
		return "step " + r.Steps[0]
	}
	return "steps " + names(r.Steps, 4)
}

// cannotStart says which steps a missing object stops.
func (r Ref) cannotStart() string {
	switch {
	case r.AllSteps:
		return "no step can start"
	case len(r.Steps) == 1:
		return "step " + r.Steps[0] + " cannot start"
	}
	return "steps " + names(r.Steps, 4) + " cannot start"
}

func (r Ref) where(ns string) string {
	if r.Kind.Namespaced() {
		return fmt.Sprintf("%s %s in namespace %s", r.Kind, r.Name, ns)
	}
	return fmt.Sprintf("%s %s", r.Kind, r.Name)
}

func checkRef(ns string, r Ref, l Lookup) Finding {
	f := Finding{Check: strings.ToLower(string(r.Kind)), Field: r.Field}
	if len(r.Steps) == 1 && !r.AllSteps {
		f.Step = r.Steps[0]
	}
	what := r.where(ns)
	if r.Kind == StorageClass && r.Name == "" {
		return defaultStorageClass(f, l)
	}
	switch {
	case l.Err != nil:
		f.Status, f.Message = Warn, fmt.Sprintf("cannot check %s: %v", what, l.Err)
		return f
	case !l.Found:
		return missing(f, ns, r, l)
	}
	var missingKeys []string
	hard := false
	for _, k := range r.Keys {
		if !contains(l.Keys, k.Key) {
			missingKeys = append(missingKeys, fmt.Sprintf("%s (%s)", k.Key, k.Field))
			hard = hard || !k.Optional
		}
	}
	if len(missingKeys) > 0 {
		have := "no keys"
		if len(l.Keys) > 0 {
			sort.Strings(l.Keys)
			have = "keys " + strings.Join(l.Keys, ", ")
		}
		f.Status = Warn
		f.Message = fmt.Sprintf("%s has no key %s (it has %s); it is optional there", what, strings.Join(missingKeys, ", "), have)
		if hard {
			f.Status = Fail
			f.Message = fmt.Sprintf("%s has no key %s (it has %s): %s (CreateContainerConfigError)", what, strings.Join(missingKeys, ", "), have, r.cannotStart())
		}
		f.Fix = fmt.Sprintf("add the key to %s %s, or read one it has", r.Kind, r.Name)
		return f
	}
	f.Status = OK
	f.Message = fmt.Sprintf("%s exists (%s", what, r.users())
	if r.Field != "" {
		f.Message += ", " + r.Field
	}
	f.Message += ")"
	return f
}

func missing(f Finding, ns string, r Ref, l Lookup) Finding {
	what := r.where(ns)
	f.Status = Fail
	existing := ""
	if len(l.Existing) > 0 {
		existing = " (there are: " + names(l.Existing, 6) + ")"
	}
	switch r.Kind {
	case ServiceAccount:
		f.Message = fmt.Sprintf("%s does not exist: Tekton cannot create the steps' pods", what)
		f.Fix = fmt.Sprintf("kubectl -n %s create serviceaccount %s", ns, r.Name)
		if r.Field != "" {
			f.Fix += ", or change " + r.Field
		}
	case Secret, ConfigMap:
		if r.Pull {
			f.Status = Warn
			f.Message = fmt.Sprintf("%s does not exist: images are pulled without it (%s)", what, r.Field)
			f.Fix = fmt.Sprintf("kubectl -n %s create secret docker-registry %s --docker-server=REGISTRY --docker-username=USER --docker-password=PASSWORD", ns, r.Name)
			return f
		}
		f.Message = fmt.Sprintf("%s does not exist: %s (CreateContainerConfigError; %s)", what, r.cannotStart(), r.Field)
		create := fmt.Sprintf("kubectl -n %s create secret generic %s", ns, r.Name)
		if r.Kind == ConfigMap {
			create = fmt.Sprintf("kubectl -n %s create configmap %s", ns, r.Name)
		}
		for _, k := range r.Keys {
			create += fmt.Sprintf(" --from-literal=%s=VALUE", k.Key)
		}
		f.Fix = "create it: " + create
		if r.Optional {
			f.Status = Warn
			f.Message = fmt.Sprintf("%s does not exist; %s marks it optional, so the steps run without it", what, r.Field)
		}
	case PersistentVolumeClaim:
		f.Message = fmt.Sprintf("%s does not exist: %s (the pod stays Pending; %s)", what, r.cannotStart(), r.Field)
		f.Fix = fmt.Sprintf("create the claim in namespace %s, or change %s", ns, r.Field)
	case PriorityClass:
		f.Message = fmt.Sprintf("%s does not exist: the API server refuses the pods of %s (%s)", what, r.users(), r.Field)
		f.Fix = fmt.Sprintf("change %s to an existing PriorityClass%s, or create it: kubectl create priorityclass %s --value=1000", r.Field, existing, r.Name)
	case RuntimeClass:
		f.Message = fmt.Sprintf("%s does not exist: the API server refuses the pods of %s (%s)", what, r.users(), r.Field)
		f.Fix = fmt.Sprintf("change %s to an existing RuntimeClass%s", r.Field, existing)
	case StorageClass:
		f.Message = fmt.Sprintf("%s does not exist: the run's workspace claim would stay Pending and no step would start", what)
		f.Fix = fmt.Sprintf("change %s to an existing StorageClass%s", r.Field, existing)
	}
	return f
}

func defaultStorageClass(f Finding, l Lookup) Finding {
	switch {
	case l.Err != nil:
		f.Status, f.Message = Warn, fmt.Sprintf("cannot check for a default StorageClass (spec.workspace names none): %v", l.Err)
	case l.Found:
		f.Status, f.Message = OK, fmt.Sprintf("the workspace's claims use the default StorageClass %s (spec.workspace names none)", l.Name)
	default:
		f.Status = Fail
		f.Message = "spec.workspace names no storageClassName and the cluster has no default StorageClass: the run's workspace claim would stay Pending and no step would start"
		f.Fix = "set spec.workspace.storageClassName"
		if len(l.Existing) > 0 {
			f.Fix += " to one of: " + names(l.Existing, 6)
		}
		f.Field = "spec.workspace.storageClassName"
	}
	return f
}

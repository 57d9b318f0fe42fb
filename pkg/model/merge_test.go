package model

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	"github.com/mlpipe/kubectl-mlpipe/pkg/spec"
)

// merge3 merges pipeline < profile < step settings written as YAML.
func merge3(t *testing.T, pipeline, profile, step string) Resolved {
	t.Helper()
	var p spec.Pipeline
	doc := "spec:\n  settings: " + pipeline + "\n  profiles:\n    prof: " + profile +
		"\n  steps:\n  - name: s\n    profile: prof\n    settings: " + step + "\n"
	if err := yaml.UnmarshalStrict([]byte(doc), &p); err != nil {
		t.Fatalf("%v\n%s", err, doc)
	}
	return Merge(StepLevels(&p, &p.Spec.Steps[0], field.NewPath("spec", "steps").Index(0))...)
}

func TestPrecedenceResources(t *testing.T) {
	cases := []struct {
		name                    string
		pipeline, profile, step string
		get                     func(Resolved) any
		want                    any
	}{
		{"cpu: step wins", `{resources: {cpu: "1"}}`, `{resources: {cpu: "2"}}`, `{resources: {cpu: "3"}}`, func(r Resolved) any { return r.CPU.V }, "3"},
		{"cpu: profile over pipeline", `{resources: {cpu: "1"}}`, `{resources: {cpu: "2"}}`, `{}`, func(r Resolved) any { return r.CPU.V }, "2"},
		{"memory: step wins", `{resources: {memory: 1Gi}}`, `{resources: {memory: 2Gi}}`, `{resources: {memory: 3Gi}}`, func(r Resolved) any { return r.Memory.V }, "3Gi"},
		{"memory: pipeline kept when others silent", `{resources: {memory: 1Gi}}`, `{resources: {cpu: "2"}}`, `{resources: {cpu: "3"}}`, func(r Resolved) any { return r.Memory.V }, "1Gi"},
		{"gpu: step wins", `{resources: {gpu: 1}}`, `{resources: {gpu: 2}}`, `{resources: {gpu: 0}}`, func(r Resolved) any { return r.GPU.V }, int64(0)},
		{"gpu: profile over pipeline", `{resources: {gpu: 1}}`, `{resources: {gpu: 4}}`, `{}`, func(r Resolved) any { return r.GPU.V }, int64(4)},
		{"gpuResource: step wins", `{resources: {gpuResource: a.com/gpu}}`, `{resources: {gpuResource: b.com/gpu}}`, `{resources: {gpuResource: c.com/gpu}}`, func(r Resolved) any { return r.GPUResourceName() }, "c.com/gpu"},
		{"gpuResource: default", `{}`, `{}`, `{}`, func(r Resolved) any { return r.GPUResourceName() }, "nvidia.com/gpu"},
		{"ephemeralStorage: profile over pipeline", `{resources: {ephemeralStorage: 1Gi}}`, `{resources: {ephemeralStorage: 5Gi}}`, `{}`, func(r Resolved) any { return r.EphemeralStorage.V }, "5Gi"},
		{"limits.memory: step wins", `{resources: {limits: {memory: 1Gi}}}`, `{resources: {limits: {memory: 2Gi}}}`, `{resources: {limits: {memory: 3Gi}}}`, func(r Resolved) any { return r.LimitMemory.V }, "3Gi"},
		{"limits fields override one by one", `{resources: {limits: {cpu: "4", memory: 1Gi}}}`, `{}`, `{resources: {limits: {memory: 3Gi}}}`, func(r Resolved) any { return []string{r.LimitCPU.V, r.LimitMemory.V} }, []string{"4", "3Gi"}},
		{"limits.ephemeralStorage: profile over pipeline", `{resources: {limits: {ephemeralStorage: 1Gi}}}`, `{resources: {limits: {ephemeralStorage: 2Gi}}}`, `{}`, func(r Resolved) any { return r.LimitEphemeralStorage.V }, "2Gi"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := c.get(merge3(t, c.pipeline, c.profile, c.step))
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestPrecedenceMaps(t *testing.T) {
	for _, field := range []string{"nodeSelector", "labels", "annotations"} {
		t.Run(field, func(t *testing.T) {
			r := merge3(t,
				`{pod: {`+field+`: {a: p, b: p, c: p}}}`,
				`{pod: {`+field+`: {b: prof, d: prof}}}`,
				`{pod: {`+field+`: {c: step, d: step}}}`)
			var es []Entry[string]
			switch field {
			case "nodeSelector":
				es = r.NodeSelector
			case "labels":
				es = r.Labels
			case "annotations":
				es = r.Annotations
			}
			want := map[string]string{"a": "p", "b": "prof", "c": "step", "d": "step"}
			if got := StringMap(es); !reflect.DeepEqual(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
			// Provenance: each key names the level it came from.
			from := map[string]string{}
			for _, e := range es {
				from[e.Key] = e.From
			}
			if from["b"] != "spec.profiles[prof].pod."+field+"[b]" || from["c"] != "spec.steps[0].settings.pod."+field+"[c]" {
				t.Errorf("provenance: %v", from)
			}
		})
	}
}

func TestPrecedenceTolerations(t *testing.T) {
	r := merge3(t,
		`{pod: {tolerations: [{key: a, operator: Exists, effect: NoSchedule}, {key: b, operator: Exists, effect: NoSchedule}]}}`,
		`{pod: {tolerations: [{key: b, operator: Equal, value: prof, effect: NoSchedule}, {key: b, operator: Exists, effect: NoExecute}]}}`,
		`{pod: {tolerations: [{key: a, operator: Equal, value: step, effect: NoSchedule}, {key: c, operator: Exists}]}}`)
	got := Values(r.Tolerations)
	want := []corev1.Toleration{
		{Key: "a", Operator: "Equal", Value: "step", Effect: "NoSchedule"}, // replaced in place: same key+effect
		{Key: "b", Operator: "Equal", Value: "prof", Effect: "NoSchedule"},
		{Key: "b", Operator: "Exists", Effect: "NoExecute"}, // same key, other effect: a new entry
		{Key: "c", Operator: "Exists"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if len(r.Overrides) != 2 {
		t.Errorf("want 2 overrides recorded, got %+v", r.Overrides)
	}
}

func TestPrecedenceVolumesMountsEnv(t *testing.T) {
	r := merge3(t,
		`{env: [{name: A, value: p}, {name: B, value: p}], pod: {volumes: [{name: v1, emptyDir: {}}, {name: v2, emptyDir: {}}], volumeMounts: [{name: v1, mountPath: /a}]}}`,
		`{env: [{name: B, value: prof}], pod: {volumes: [{name: v2, configMap: {name: cm}}], volumeMounts: [{name: v2, mountPath: /b}]}}`,
		`{env: [{name: C, value: step}, {name: A, value: step}], pod: {volumes: [{name: v3, emptyDir: {}}], volumeMounts: [{name: v3, mountPath: /a}]}}`)
	var env []string
	for _, e := range Values(r.Env) {
		env = append(env, e.Name+"="+e.Value)
	}
	if want := []string{"A=step", "B=prof", "C=step"}; !reflect.DeepEqual(env, want) {
		t.Errorf("env: got %v, want %v", env, want)
	}
	var vols []string
	for _, v := range Values(r.Volumes) {
		kind := "emptyDir"
		if v.ConfigMap != nil {
			kind = "configMap"
		}
		vols = append(vols, v.Name+":"+kind)
	}
	if want := []string{"v1:emptyDir", "v2:configMap", "v3:emptyDir"}; !reflect.DeepEqual(vols, want) {
		t.Errorf("volumes: got %v, want %v", vols, want)
	}
	var mounts []string
	for _, m := range Values(r.VolumeMounts) {
		mounts = append(mounts, m.MountPath+"<-"+m.Name)
	}
	if want := []string{"/a<-v3", "/b<-v2"}; !reflect.DeepEqual(mounts, want) {
		t.Errorf("volumeMounts: got %v, want %v", mounts, want)
	}
}

func TestPrecedenceReplaceWhole(t *testing.T) {
	r := merge3(t,
		`{pod: {affinity: {nodeAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [{weight: 1, preference: {matchExpressions: [{key: p, operator: Exists}]}}]}}, securityContext: {runAsUser: 1, runAsNonRoot: true}, priorityClassName: p, runtimeClassName: p, schedulerName: p}}`,
		`{pod: {affinity: {podAntiAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{topologyKey: zone}]}}, priorityClassName: prof, schedulerName: prof}}`,
		`{pod: {securityContext: {runAsUser: 3}, runtimeClassName: step, schedulerName: step}}`)
	if a := r.Affinity.V; a == nil || a.NodeAffinity != nil || a.PodAntiAffinity == nil {
		t.Errorf("affinity: the profile's must replace the pipeline's whole, got %+v", a)
	}
	if sc := r.SecurityContext.V; sc == nil || *sc.RunAsUser != 3 || sc.RunAsNonRoot != nil {
		t.Errorf("securityContext: the step's must replace the pipeline's whole, got %+v", sc)
	}
	got := []string{r.PriorityClassName.V, r.RuntimeClassName.V, r.SchedulerName.V}
	if want := []string{"prof", "step", "step"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestGPUToleration(t *testing.T) {
	cases := []struct {
		name, step string
		want       bool
	}{
		{"added for a gpu step", `{resources: {gpu: 1}}`, true},
		{"not for gpu 0", `{resources: {gpu: 0}}`, false},
		{"turned off", `{resources: {gpu: 1}, pod: {gpuToleration: false}}`, false},
		{"already tolerated", `{resources: {gpu: 1}, pod: {tolerations: [{key: nvidia.com/gpu, operator: Exists}]}}`, false},
		{"tolerated only for NoExecute", `{resources: {gpu: 1}, pod: {tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoExecute}]}}`, true},
		{"wildcard toleration", `{resources: {gpu: 1}, pod: {tolerations: [{operator: Exists}]}}`, false},
		{"other resource name", `{resources: {gpu: 1, gpuResource: amd.com/gpu}, pod: {tolerations: [{key: nvidia.com/gpu, operator: Exists}]}}`, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := merge3(t, `{}`, `{}`, c.step)
			if got := r.NeedsGPUToleration(); got != c.want {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

package model

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/mlpipe/kubectl-mlpipe/pkg/spec"
)

// Cache is a step's cache setting after spec.cache and steps[].cache merge.
type Cache struct {
	Enabled bool
	// MaxAge is how old a reused result may be; 0 means any age.
	MaxAge time.Duration
	Key    string
	// From names the fields it came from, for --explain.
	From []string
}

// Reused says a step will not run in this run: its outputs are those of an
// earlier TaskRun that did the same work (found by --resume or the cache).
type Reused struct {
	// Run and TaskRun are where the outputs were computed.
	Run, TaskRun string
	// Cached is true for a cache hit, false for a step taken over by --resume.
	Cached bool
	// Completed is when that TaskRun finished.
	Completed time.Time
	Outputs   map[string]string
	// Recipe and Inputs are the two halves of the step's cache key.
	Recipe, Inputs string
}

// resolveCache merges the pipeline's cache setting with the step's: the
// step's fields win one by one, so `cache: true` on a step keeps the
// pipeline's maxAge and key.
func resolveCache(pipeline, step *spec.Cache, stepPath *field.Path) Cache {
	var c Cache
	for _, l := range []struct {
		c    *spec.Cache
		path *field.Path
	}{{pipeline, field.NewPath("spec", "cache")}, {step, stepPath.Child("cache")}} {
		if l.c == nil {
			continue
		}
		c.From = append(c.From, l.path.String())
		c.Enabled = l.c.Enabled == nil || *l.c.Enabled
		if l.c.MaxAge != "" {
			c.MaxAge, _ = spec.ParseMaxAge(l.c.MaxAge)
		}
		if l.c.Key != "" {
			c.Key = l.c.Key
		}
	}
	return c
}

// recipe is the sha256 of everything in a step's definition that determines
// its work: what runs (image, command, args, script, working dir), its
// environment (literal values, and secret or config map references by name),
// the outputs it declares, its volumes, its GPU count, whether it has the
// workspace, the artifact store, and the user's cache key. Placement
// (node selectors, tolerations, affinity), CPU and memory, retries and
// timeouts are left out: they change where and how long, not what. The
// values a step reads through references are the other half of the key
// (see pkg/reuse), so a step whose input is only known at run time still
// records a recipe a later run can match.
func recipe(m *Model, s *Step, key string) string {
	type env struct {
		Name      string               `json:"name"`
		Value     string               `json:"value,omitempty"`
		ValueFrom *corev1.EnvVarSource `json:"valueFrom,omitempty"`
	}
	r := struct {
		Image         string                 `json:"image"`
		Command       []string               `json:"command,omitempty"`
		Args          []string               `json:"args,omitempty"`
		Script        string                 `json:"script,omitempty"`
		WorkingDir    string                 `json:"workingDir,omitempty"`
		Env           []env                  `json:"env,omitempty"`
		EnvFrom       []corev1.EnvFromSource `json:"envFrom,omitempty"`
		Outputs       []string               `json:"outputs,omitempty"`
		Volumes       []corev1.Volume        `json:"volumes,omitempty"`
		VolumeMounts  []corev1.VolumeMount   `json:"volumeMounts,omitempty"`
		GPU           int64                  `json:"gpu,omitempty"`
		GPUResource   string                 `json:"gpuResource,omitempty"`
		Workspace     bool                   `json:"workspace,omitempty"`
		ArtifactStore string                 `json:"artifactStore,omitempty"`
		Key           string                 `json:"key,omitempty"`
	}{
		Image: s.Image, Command: s.Command, Args: s.Args, Script: s.Script, WorkingDir: s.WorkingDir,
		Outputs: s.Outputs, Workspace: m.Workspace != nil, ArtifactStore: m.ArtifactStore, Key: key,
	}
	for _, e := range s.Settings.Env {
		r.Env = append(r.Env, env{Name: e.V.Name, Value: e.V.Value, ValueFrom: e.V.ValueFrom})
	}
	for _, e := range s.Settings.EnvFrom {
		r.EnvFrom = append(r.EnvFrom, e.V)
	}
	for _, v := range s.Settings.Volumes {
		r.Volumes = append(r.Volumes, v.V)
	}
	for _, v := range s.Settings.VolumeMounts {
		r.VolumeMounts = append(r.VolumeMounts, v.V)
	}
	if s.Settings.WantsGPU() {
		r.GPU, r.GPUResource = s.Settings.GPU.V, s.Settings.GPUResourceName()
	}
	b, _ := json.Marshal(r)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Package spec holds the mlpipe.dev/v1alpha1 Pipeline types: the file a user
// writes. It is the product's public interface (see docs/spec.md); everything
// else under pkg/ carries no compatibility guarantee.
package spec

import (
	corev1 "k8s.io/api/core/v1"
)

const (
	// Group is the API group of the spec.
	Group = "mlpipe.dev"
	// Version is the only version of the spec so far.
	Version = "v1alpha1"
	// APIVersion is the apiVersion a spec file must carry.
	APIVersion = Group + "/" + Version
	// Kind is the kind a spec file must carry.
	Kind = "Pipeline"
)

// Pipeline is one ML pipeline: its steps, their DAG and where each runs.
type Pipeline struct {
	APIVersion string       `json:"apiVersion"`
	Kind       string       `json:"kind"`
	Metadata   Metadata     `json:"metadata"`
	Spec       PipelineSpec `json:"spec"`
}

// Metadata names the pipeline. Labels and annotations are copied onto every run.
type Metadata struct {
	// Name is a DNS-1123 label; runs are named <name>-<suffix>.
	Name string `json:"name"`
	// Namespace, when set, is where runs are created.
	Namespace   string            `json:"namespace,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// PipelineSpec is the body of a Pipeline.
type PipelineSpec struct {
	Description string `json:"description,omitempty"`
	// Image is the default image of every step.
	Image            string   `json:"image,omitempty"`
	ImagePullSecrets []string `json:"imagePullSecrets,omitempty"`
	// ServiceAccountName runs every step's pod as this service account.
	ServiceAccountName string `json:"serviceAccountName,omitempty"`
	// Params are run-time parameters, overridable with -p name=value.
	Params []Param `json:"params,omitempty"`
	// Env is set in every step's container.
	Env []corev1.EnvVar `json:"env,omitempty"`
	// ArtifactStore is a URI under which each step gets its own prefix.
	ArtifactStore string `json:"artifactStore,omitempty"`
	// Workspace is one shared volume per run, mounted by every step.
	Workspace *Workspace `json:"workspace,omitempty"`
	// Timeout bounds the whole run (a Go duration such as 4h or 90m).
	Timeout string `json:"timeout,omitempty"`
	// Settings are pipeline-level defaults for every step.
	Settings *Settings `json:"settings,omitempty"`
	// Profiles are named settings that steps reuse with `profile`.
	Profiles map[string]Settings `json:"profiles,omitempty"`
	// Cache is every DAG step's default for reusing outputs of earlier runs.
	Cache *Cache `json:"cache,omitempty"`
	Steps []Step `json:"steps"`
	// Finally steps run after the DAG whether it succeeded or failed.
	Finally []Step `json:"finally,omitempty"`
}

// Param is a run-time parameter.
type Param struct {
	Name        string  `json:"name"`
	Description string  `json:"description,omitempty"`
	Default     *string `json:"default,omitempty"`
}

// Workspace is the shared per-run volume.
type Workspace struct {
	Size             string                              `json:"size"`
	StorageClassName *string                             `json:"storageClassName,omitempty"`
	AccessModes      []corev1.PersistentVolumeAccessMode `json:"accessModes,omitempty"`
}

// Step is one container in the DAG.
type Step struct {
	Name       string          `json:"name"`
	Image      string          `json:"image,omitempty"`
	Command    []string        `json:"command,omitempty"`
	Args       []string        `json:"args,omitempty"`
	Script     string          `json:"script,omitempty"`
	WorkingDir string          `json:"workingDir,omitempty"`
	Env        []corev1.EnvVar `json:"env,omitempty"`
	// Outputs are small string results other steps can reference.
	Outputs []string `json:"outputs,omitempty"`
	// After lists steps that must finish first.
	After []string `json:"after,omitempty"`
	// When guards the step; it is skipped unless every expression holds.
	When    []WhenExpression `json:"when,omitempty"`
	Retries int              `json:"retries,omitempty"`
	// Timeout bounds one attempt of the step (a Go duration).
	Timeout  string    `json:"timeout,omitempty"`
	Profile  string    `json:"profile,omitempty"`
	Settings *Settings `json:"settings,omitempty"`
	// Cache overrides spec.cache for this step, field by field.
	Cache *Cache `json:"cache,omitempty"`
	// Matrix fans the step out: one instance per combination of values.
	Matrix *Matrix `json:"matrix,omitempty"`
}

// WhenExpression is a guard on a step, as in Tekton.
type WhenExpression struct {
	Input    string   `json:"input"`
	Operator string   `json:"operator"`
	Values   []string `json:"values"`
}

// Settings say where and with what a step runs. Pipeline settings < the
// step's profile < the step's own settings.
type Settings struct {
	Resources *Resources      `json:"resources,omitempty"`
	Pod       *PodSettings    `json:"pod,omitempty"`
	Env       []corev1.EnvVar `json:"env,omitempty"`
	// EnvFrom sets every key of a ConfigMap or Secret as a variable.
	EnvFrom []corev1.EnvFromSource `json:"envFrom,omitempty"`
}

// Resources are the step container's requests and limits.
type Resources struct {
	// CPU request, e.g. "500m" or "2".
	CPU string `json:"cpu,omitempty"`
	// Memory request; also the memory limit unless limits.memory is set.
	Memory string `json:"memory,omitempty"`
	// GPU is a whole number of GPUs, set as a limit on GPUResource.
	GPU *int64 `json:"gpu,omitempty"`
	// GPUResource is the extended resource name (default nvidia.com/gpu).
	GPUResource      string  `json:"gpuResource,omitempty"`
	EphemeralStorage string  `json:"ephemeralStorage,omitempty"`
	Limits           *Limits `json:"limits,omitempty"`
}

// Limits override the limits derived from the requests.
type Limits struct {
	CPU              string `json:"cpu,omitempty"`
	Memory           string `json:"memory,omitempty"`
	EphemeralStorage string `json:"ephemeralStorage,omitempty"`
}

// PodSettings are the scheduling and pod-level settings of a step.
type PodSettings struct {
	NodeSelector map[string]string   `json:"nodeSelector,omitempty"`
	Tolerations  []corev1.Toleration `json:"tolerations,omitempty"`
	Affinity     *corev1.Affinity    `json:"affinity,omitempty"`
	// TopologySpreadConstraints spread a step's pods (a fan-out's instances)
	// over zones or nodes; a level that sets them replaces the list.
	TopologySpreadConstraints []corev1.TopologySpreadConstraint `json:"topologySpreadConstraints,omitempty"`
	Labels                    map[string]string                 `json:"labels,omitempty"`
	Annotations               map[string]string                 `json:"annotations,omitempty"`
	Volumes                   []corev1.Volume                   `json:"volumes,omitempty"`
	VolumeMounts              []corev1.VolumeMount              `json:"volumeMounts,omitempty"`
	SecurityContext           *corev1.PodSecurityContext        `json:"securityContext,omitempty"`
	PriorityClassName         string                            `json:"priorityClassName,omitempty"`
	RuntimeClassName          string                            `json:"runtimeClassName,omitempty"`
	SchedulerName             string                            `json:"schedulerName,omitempty"`
	// GPUToleration, when false, stops the automatic toleration of the GPU taint.
	GPUToleration *bool `json:"gpuToleration,omitempty"`
	// ServiceAccountName runs the step as this ServiceAccount
	// (taskRunSpecs[].serviceAccountName), over spec.serviceAccountName.
	ServiceAccountName string `json:"serviceAccountName,omitempty"`
	// The rest of Tekton's pod template, as Kubernetes spells them.
	HostNetwork                  *bool                `json:"hostNetwork,omitempty"`
	DNSPolicy                    corev1.DNSPolicy     `json:"dnsPolicy,omitempty"`
	DNSConfig                    *corev1.PodDNSConfig `json:"dnsConfig,omitempty"`
	HostAliases                  []corev1.HostAlias   `json:"hostAliases,omitempty"`
	EnableServiceLinks           *bool                `json:"enableServiceLinks,omitempty"`
	AutomountServiceAccountToken *bool                `json:"automountServiceAccountToken,omitempty"`
}

// DefaultGPUResource is the resource name a gpu count is set on by default.
const DefaultGPUResource = "nvidia.com/gpu"

// Package schedule builds the Kubernetes objects of a schedule: a CronJob
// whose pod creates a run of a rendered PipelineRun kept in a ConfigMap,
// under a ServiceAccount whose Role may create PipelineRuns and, only where
// the concurrency policy needs it, list (forbid) or cancel (replace) the
// runs. Nothing but the cluster's API is needed: no server of ours runs. It
// is pure: the command sends what it returns.
package schedule

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

const (
	// LabelSchedule is on every object of a schedule and on the runs it creates.
	LabelSchedule = "mlpipe.dev/schedule"
	// AnnotationConcurrency records the policy (forbid, allow, replace).
	AnnotationConcurrency = "mlpipe.dev/concurrency"
	// DefaultImage runs the pod that creates the run: any image with
	// kubectl and a POSIX sh will do (--image).
	DefaultImage = "docker.io/bitnami/kubectl:latest"
	// ContainerName is the pod's one container.
	ContainerName = "create-run"
	keyRun        = "pipelinerun.yaml"
	keyScript     = "create-run.sh"
	mountPath     = "/etc/mlpipe"
	prefix        = "mlpipe-"
	// A CronJob's name leaves 11 characters for its Jobs' suffix.
	maxName = 52 - len(prefix)
)

// Concurrency policies.
const (
	Forbid  = "forbid"
	Allow   = "allow"
	Replace = "replace"
)

// ObjectName is the name every object of schedule name has.
func ObjectName(name string) string { return prefix + name }

// Options describe one schedule.
type Options struct {
	Name, Namespace string
	// Pipeline is the spec's name; Run the rendered PipelineRun, as YAML.
	Pipeline string
	Run      []byte
	Cron     string
	TimeZone string
	// Concurrency is Forbid, Allow or Replace.
	Concurrency string
	Suspend     bool
	Image       string
	// Labels go on every object (managed-by, pipeline).
	Labels map[string]string
}

// Objects are a schedule's objects, in the order they are created.
type Objects struct {
	ServiceAccount *corev1.ServiceAccount
	Role           *rbacv1.Role
	RoleBinding    *rbacv1.RoleBinding
	ConfigMap      *corev1.ConfigMap
	CronJob        *batchv1.CronJob
}

// Check says what is wrong with the options, field by field.
func Check(o Options) []string {
	var errs []string
	if len(o.Name) > maxName {
		errs = append(errs, fmt.Sprintf("NAME %q is longer than %d characters (its CronJob is named %s, and Kubernetes keeps CronJob names to 52)", o.Name, maxName, ObjectName(o.Name)))
	}
	for _, msg := range validation.IsDNS1123Label(o.Name) {
		errs = append(errs, fmt.Sprintf("NAME %q: %s", o.Name, msg))
	}
	if _, err := cron.ParseStandard(o.Cron); err != nil {
		errs = append(errs, fmt.Sprintf("--cron %q: %v (five fields: minute hour day-of-month month day-of-week, or @hourly, @daily, …)", o.Cron, err))
	} else if strings.Contains(o.Cron, "TZ=") {
		errs = append(errs, fmt.Sprintf("--cron %q: set the time zone with --time-zone, not TZ= in the schedule", o.Cron))
	}
	if o.TimeZone != "" {
		if _, err := time.LoadLocation(o.TimeZone); err != nil {
			errs = append(errs, fmt.Sprintf("--time-zone %q: not a time zone of the IANA database (e.g. Europe/Paris)", o.TimeZone))
		}
	}
	switch o.Concurrency {
	case Forbid, Allow, Replace:
	default:
		errs = append(errs, fmt.Sprintf("--concurrency %q: must be forbid, allow or replace", o.Concurrency))
	}
	return errs
}

// Next is when the schedule fires next after t, in its time zone.
func Next(cronExpr, timeZone string, t time.Time) (time.Time, error) {
	s, err := cron.ParseStandard(cronExpr)
	if err != nil {
		return time.Time{}, err
	}
	loc := time.UTC
	if timeZone != "" {
		if loc, err = time.LoadLocation(timeZone); err != nil {
			return time.Time{}, err
		}
	}
	return s.Next(t.In(loc)), nil
}

// script creates the run, after what the concurrency policy asks: with
// forbid nothing while a run of the schedule has not finished; with replace
// those runs are cancelled first.
const script = `#!/bin/sh
set -eu
unfinished() {
	kubectl get pipelineruns.v1.tekton.dev -n "$NAMESPACE" -l "` + LabelSchedule + `=$SCHEDULE" \
		-o jsonpath='{range .items[*]}{.metadata.name}{" "}{.status.completionTime}{"\n"}{end}' | awk 'NF == 1 { print $1 }'
}
case "$CONCURRENCY" in
forbid)
	running=$(unfinished)
	if [ -n "$running" ]; then
		echo "schedule $SCHEDULE: not creating a run: $(echo $running) has not finished (concurrency forbid)"
		exit 0
	fi
	;;
replace)
	for r in $(unfinished); do
		kubectl patch pipelineruns.v1.tekton.dev "$r" -n "$NAMESPACE" --type merge -p '{"spec":{"status":"Cancelled"}}'
		echo "schedule $SCHEDULE: cancelled $r (concurrency replace)"
	done
	;;
esac
run=$(kubectl create -n "$NAMESPACE" -f ` + mountPath + `/` + keyRun + ` -o name)
echo "schedule $SCHEDULE: created $run"
`

// Build returns the objects of a schedule whose options passed Check.
func Build(o Options) *Objects {
	name := ObjectName(o.Name)
	labels := map[string]string{LabelSchedule: o.Name}
	for k, v := range o.Labels {
		labels[k] = v
	}
	meta := func() metav1.ObjectMeta {
		l := make(map[string]string, len(labels))
		for k, v := range labels {
			l[k] = v
		}
		return metav1.ObjectMeta{Name: name, Namespace: o.Namespace, Labels: l, Annotations: map[string]string{AnnotationConcurrency: o.Concurrency}}
	}
	rules := []rbacv1.PolicyRule{{APIGroups: []string{"tekton.dev"}, Resources: []string{"pipelineruns"}, Verbs: []string{"create"}}}
	switch o.Concurrency {
	case Forbid:
		rules[0].Verbs = append(rules[0].Verbs, "list")
	case Replace:
		rules[0].Verbs = append(rules[0].Verbs, "list", "patch")
	}
	policy := map[string]batchv1.ConcurrencyPolicy{Forbid: batchv1.ForbidConcurrent, Allow: batchv1.AllowConcurrent, Replace: batchv1.ReplaceConcurrent}[o.Concurrency]
	var tz *string
	if o.TimeZone != "" {
		tz = &o.TimeZone
	}
	one, three, mode := int32(1), int32(3), int32(0o555)
	never := false
	objs := &Objects{
		ServiceAccount: &corev1.ServiceAccount{ObjectMeta: meta()},
		Role:           &rbacv1.Role{ObjectMeta: meta(), Rules: rules},
		RoleBinding: &rbacv1.RoleBinding{
			ObjectMeta: meta(),
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: name, Namespace: o.Namespace}},
		},
		ConfigMap: &corev1.ConfigMap{ObjectMeta: meta(), Data: map[string]string{keyRun: string(o.Run), keyScript: script}},
	}
	podLabels := map[string]string{LabelSchedule: o.Name}
	objs.CronJob = &batchv1.CronJob{
		ObjectMeta: meta(),
		Spec: batchv1.CronJobSpec{
			Schedule:                   o.Cron,
			TimeZone:                   tz,
			ConcurrencyPolicy:          policy,
			Suspend:                    &o.Suspend,
			SuccessfulJobsHistoryLimit: &three,
			FailedJobsHistoryLimit:     &three,
			JobTemplate: batchv1.JobTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: podLabels},
				Spec: batchv1.JobSpec{
					BackoffLimit: &one,
					Template: corev1.PodTemplateSpec{
						ObjectMeta: metav1.ObjectMeta{Labels: podLabels},
						Spec: corev1.PodSpec{
							ServiceAccountName:           name,
							AutomountServiceAccountToken: nil,
							RestartPolicy:                corev1.RestartPolicyNever,
							EnableServiceLinks:           &never,
							Containers: []corev1.Container{{
								Name:    ContainerName,
								Image:   o.Image,
								Command: []string{"/bin/sh", mountPath + "/" + keyScript},
								Env: []corev1.EnvVar{
									{Name: "SCHEDULE", Value: o.Name},
									{Name: "CONCURRENCY", Value: o.Concurrency},
									{Name: "NAMESPACE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}},
								},
								VolumeMounts: []corev1.VolumeMount{{Name: "schedule", MountPath: mountPath, ReadOnly: true}},
							}},
							Volumes: []corev1.Volume{{Name: "schedule", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
								LocalObjectReference: corev1.LocalObjectReference{Name: name}, DefaultMode: &mode,
							}}}},
						},
					},
				},
			},
		},
	}
	return objs
}

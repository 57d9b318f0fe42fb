package schedule

import (
	"strings"
	"testing"
	"time"
)

func opts(concurrency string) Options {
	return Options{Name: "nightly", Namespace: "ml", Pipeline: "train", Run: []byte("kind: PipelineRun\n"), Cron: "0 2 * * *", Concurrency: concurrency, Image: DefaultImage}
}

func TestCheckNamesEveryProblem(t *testing.T) {
	o := opts("sometimes")
	o.Name, o.Cron, o.TimeZone = "Nightly_Train", "0 25 * * *", "Mars/Olympus"
	got := strings.Join(Check(o), "\n")
	for _, want := range []string{`NAME "Nightly_Train"`, `--cron "0 25 * * *"`, `--time-zone "Mars/Olympus"`, `--concurrency "sometimes": must be forbid, allow or replace`} {
		if !strings.Contains(got, want) {
			t.Errorf("Check does not say %q:\n%s", want, got)
		}
	}
	o = opts(Forbid)
	o.Name = strings.Repeat("a", 46)
	if got := strings.Join(Check(o), ""); !strings.Contains(got, "longer than 45 characters") {
		t.Errorf("a 46-character name: %q", got)
	}
	if errs := Check(opts(Forbid)); len(errs) != 0 {
		t.Errorf("a good schedule: %v", errs)
	}
}

// The Role grants create, and only what the policy needs beyond it.
func TestRoleFollowsTheConcurrencyPolicy(t *testing.T) {
	for policy, want := range map[string]string{Allow: "create", Forbid: "create,list", Replace: "create,list,patch"} {
		objs := Build(opts(policy))
		r := objs.Role.Rules
		if len(r) != 1 || strings.Join(r[0].Resources, ",") != "pipelineruns" || strings.Join(r[0].APIGroups, ",") != "tekton.dev" {
			t.Fatalf("%s: rules %+v", policy, r)
		}
		if got := strings.Join(r[0].Verbs, ","); got != want {
			t.Errorf("%s: verbs %s, want %s", policy, got, want)
		}
		if got := string(objs.CronJob.Spec.ConcurrencyPolicy); !strings.EqualFold(got, policy) {
			t.Errorf("%s: CronJob policy %s", policy, got)
		}
	}
}

func TestBuildWiresTheObjectsTogether(t *testing.T) {
	o := opts(Forbid)
	o.TimeZone, o.Suspend = "Europe/Paris", true
	objs := Build(o)
	cj := objs.CronJob
	pod := cj.Spec.JobTemplate.Spec.Template.Spec
	for _, meta := range []struct {
		kind, name string
		labels     map[string]string
	}{
		{"ServiceAccount", objs.ServiceAccount.Name, objs.ServiceAccount.Labels}, {"Role", objs.Role.Name, objs.Role.Labels},
		{"RoleBinding", objs.RoleBinding.Name, objs.RoleBinding.Labels}, {"ConfigMap", objs.ConfigMap.Name, objs.ConfigMap.Labels}, {"CronJob", cj.Name, cj.Labels},
	} {
		if meta.name != "mlpipe-nightly" || meta.labels[LabelSchedule] != "nightly" {
			t.Errorf("%s %s labels %v", meta.kind, meta.name, meta.labels)
		}
	}
	if pod.ServiceAccountName != "mlpipe-nightly" || objs.RoleBinding.Subjects[0].Name != "mlpipe-nightly" || objs.RoleBinding.RoleRef.Name != "mlpipe-nightly" {
		t.Errorf("the pod, binding and role do not meet: %+v %+v", pod.ServiceAccountName, objs.RoleBinding)
	}
	if *cj.Spec.TimeZone != "Europe/Paris" || !*cj.Spec.Suspend || cj.Spec.Schedule != "0 2 * * *" {
		t.Errorf("CronJob spec %+v", cj.Spec)
	}
	if pod.Containers[0].Image != DefaultImage || pod.Volumes[0].ConfigMap.Name != "mlpipe-nightly" {
		t.Errorf("pod %+v", pod)
	}
	if objs.ConfigMap.Data["pipelinerun.yaml"] != "kind: PipelineRun\n" || !strings.Contains(objs.ConfigMap.Data["create-run.sh"], "kubectl create") {
		t.Errorf("ConfigMap %v", objs.ConfigMap.Data)
	}
}

func TestNextInTheScheduleTimeZone(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	next, err := Next("0 2 * * *", "Asia/Tokyo", now) // 21:00 today, UTC
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 11, 30, 17, 0, 0, 0, time.UTC); !next.Equal(want) {
		t.Errorf("next %s, want %s", next.UTC(), want)
	}
}
